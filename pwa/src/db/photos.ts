/** The photos store: resized JPEG Blobs keyed by their SHA-256, so one picture is kept once. */
import { withDB } from './schema';
import type { PhotoRecord } from './types';

export function putPhoto(photo: PhotoRecord): Promise<string> {
  return withDB((db) => db.put('photos', photo));
}

export function getPhoto(id: string): Promise<PhotoRecord | undefined> {
  return withDB((db) => db.get('photos', id));
}

export function listPhotos(): Promise<PhotoRecord[]> {
  return withDB((db) => db.getAll('photos'));
}

export async function sha256Hex(data: Blob | ArrayBuffer): Promise<string> {
  const buffer = data instanceof ArrayBuffer ? data : await data.arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
