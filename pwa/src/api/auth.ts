/** /auth: log in with mobile and password, read the current session, log out. */
import type { StoredSession } from '../db/meta';
import { apiPath, request, setCsrfToken } from './http';

export async function login(mobile: string, password: string): Promise<StoredSession> {
  const res = await request<StoredSession>('POST', apiPath('/auth/login'), { json: { mobile, password } });
  setCsrfToken(res.data!.csrf_token);
  return res.data!;
}

export async function fetchSession(): Promise<StoredSession> {
  const res = await request<StoredSession>('GET', apiPath('/auth/session'));
  setCsrfToken(res.data!.csrf_token);
  return res.data!;
}

export async function logout(): Promise<void> {
  await request('POST', apiPath('/auth/logout'));
  setCsrfToken(null);
}

/** A cheap public call that tells whether the API is reachable at all. */
export async function probe(): Promise<boolean> {
  try {
    await request('GET', apiPath('/health'), { timeoutMs: 8000 });
    return true;
  } catch (error) {
    return !(error instanceof Error && error.name === 'NetworkError');
  }
}
