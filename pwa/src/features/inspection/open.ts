/** Opening a draft: the draft and its checklist read in one IndexedDB transaction, the network only as a fallback. */
import { loadChecklistVersion, versionKey } from '../../api/data';
import type { ChecklistContent, ChecklistVersion } from '../../api/types';
import { withDB } from '../../db/schema';
import type { InspectionDraft } from '../../db/types';

export interface OpenedDraft {
  draft: InspectionDraft | null;
  /** null: the phone has no copy and the server could not be asked. */
  content: ChecklistContent | null;
}

/**
 * One transaction for both reads: on a slow phone each separate IndexedDB round trip costs a frame or more,
 * and the form can only render once it has both.
 */
export async function openDraft(id: string): Promise<OpenedDraft> {
  const local = await withDB(async (db) => {
    const tx = db.transaction(['drafts', 'cache'], 'readonly');
    const draft = (await tx.objectStore('drafts').get(id)) ?? null;
    const cached = draft ? await tx.objectStore('cache').get(versionKey(draft.checklistId, draft.checklistVersion)) : null;
    await tx.done;
    return { draft, content: (cached?.data as ChecklistVersion | undefined)?.content ?? null };
  });
  if (!local.draft || local.content) return local;
  try {
    return { draft: local.draft, content: (await loadChecklistVersion(local.draft.checklistId,
      local.draft.checklistVersion)).content };
  } catch {
    return local;
  }
}
