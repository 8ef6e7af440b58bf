/** The drafts store: forms in progress, written on every change. */
import { withDB } from './schema';
import type { Draft } from './types';

// Writes are chained so a quick burst of edits lands in the order it was made.
let chain: Promise<unknown> = Promise.resolve();

export function saveDraft(draft: Draft): Promise<Draft> {
  const stamped = { ...draft, updatedAt: new Date().toISOString() };
  const write = chain.then(() => withDB((db) => db.put('drafts', stamped))).then(() => stamped);
  chain = write.catch(() => undefined);
  return write;
}

export function getDraft(id: string): Promise<Draft | undefined> {
  return withDB((db) => db.get('drafts', id));
}

export async function listDrafts(): Promise<Draft[]> {
  const all = await withDB((db) => db.getAllFromIndex('drafts', 'by_updated'));
  return all.reverse();
}

export function deleteDraft(id: string): Promise<void> {
  return withDB((db) => db.delete('drafts', id));
}
