/** QR resolution: a printed code's token → its site (the server also records the scan). */
import { apiPath, request } from './http';
import type { Site } from './types';

/** GET /sites/by-qr/{token}: the same shape as GET /sites/{id}; 404 when the code is unknown or rotated. */
export async function resolveQrToken(token: string): Promise<Site> {
  const res = await request<Site>('GET', apiPath(`/sites/by-qr/${encodeURIComponent(token)}`));
  return res.data!;
}
