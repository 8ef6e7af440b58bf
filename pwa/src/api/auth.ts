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
export async function probe(timeoutMs = 8000): Promise<boolean> {
  try {
    await request('GET', apiPath('/health'), { timeoutMs });
    return true;
  } catch (error) {
    return !(error instanceof Error && error.name === 'NetworkError');
  }
}

/** Change my password; the server ends my other sessions and keeps this one. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await request('POST', apiPath('/auth/password'), {
    json: { current_password: currentPassword, new_password: newPassword } });
}

/** 退出其他设备: end every session of mine but this one; returns how many ended. */
export async function logoutOthers(): Promise<number> {
  const res = await request<{ revoked: number }>('POST', apiPath('/auth/logout-others'));
  return res.data?.revoked ?? 0;
}
