/**
 * The write contract with the server, in one place: photos by content hash, then the inspection or
 * 随手拍 hazard or hazard workflow step that references them, each keyed by its client UUID (the server's
 * idempotency key: client_uuid, or client_event_id for a workflow step).
 */
import { apiPath, request, UPLOAD_TIMEOUT_MS } from './http';
import type { OutboxKind } from '../db/types';

export interface SubmissionApi {
  /** HEAD /photos/{sha256}: true when the server already has this photo. */
  photoExists(sha256: string): Promise<boolean>;
  /** POST /photos (multipart field `file`) → the server's id, which is the SHA-256. */
  uploadPhoto(sha256: string, blob: Blob): Promise<string>;
  /** POST the item; 201 new, 200 the same client_uuid with identical content, 409 different content. */
  submit(kind: OutboxKind, payload: Record<string, unknown>): Promise<Record<string, unknown>>;
}

const ITEM_PATHS: Record<Exclude<OutboxKind, 'transition'>, string> = {
  inspection: '/inspections',
  hazard: '/hazards',
  selfcheck: '/self-checks',
  site: '/sites/field',
};

/** Where an item goes and what is sent: a workflow step names its hazard in the path, not the body. */
export function itemRequest(kind: OutboxKind, payload: Record<string, unknown>): { path: string; body: Record<string, unknown> } {
  if (kind === 'transition') {
    const { hazard_id: hazardId, ...body } = payload;
    return { path: `/hazards/${Number(hazardId)}/transitions`, body };
  }
  return { path: ITEM_PATHS[kind], body: payload };
}

export const httpSubmissionApi: SubmissionApi = {
  async photoExists(sha256) {
    try {
      await request('HEAD', apiPath(`/photos/${sha256}`));
      return true;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return false;
      throw error;
    }
  },

  async uploadPhoto(sha256, blob) {
    const form = new FormData();
    form.append('file', blob, `${sha256}.jpg`);
    // The server checks the bytes it received against the hash we computed.
    form.append('sha256', sha256);
    const res = await request<{ id: string }>('POST', apiPath('/photos'), {
      body: form,
      timeoutMs: UPLOAD_TIMEOUT_MS,
    });
    return res.data?.id ?? sha256;
  },

  async submit(kind, payload) {
    const { path, body } = itemRequest(kind, payload);
    const res = await request<Record<string, unknown>>('POST', apiPath(path), { json: body });
    return res.data ?? {};
  },
};
