/** Starting an inspection: the checklist must be on the phone, then a draft is stored before the form opens. */
import { loadChecklistVersion } from '../../api/data';
import type { ChecklistSummary, Site } from '../../api/types';
import { saveDraft } from '../../db/drafts';
import type { InspectionDraft, InspectionMode } from '../../db/types';
import { newInspectionDraft } from './form';

export class ChecklistUnavailable extends Error {
  constructor() {
    super('本机没有这张检查表的离线副本，请联网后再试。');
    this.name = 'ChecklistUnavailable';
  }
}

/** Create and store the draft (so it survives a reload at once); returns it for navigation to /drafts/<id>. */
export async function startInspection(site: Pick<Site, 'id' | 'name'>, checklist: ChecklistSummary,
  options: { mode: InspectionMode; qr?: InspectionDraft['qrScan']; siteClientId?: string | null }): Promise<InspectionDraft> {
  try {
    await loadChecklistVersion(checklist.id, checklist.version);
  } catch {
    throw new ChecklistUnavailable();
  }
  const draft = newInspectionDraft({
    id: crypto.randomUUID(), siteId: site.id, siteName: site.name, checklistId: checklist.id,
    checklistVersion: checklist.version, checklistTitle: checklist.title, qrScan: options.qr ?? null,
    mode: options.mode,
  });
  // A site registered on this phone and not yet on the server: the outbox sends it first.
  if (options.siteClientId) draft.siteClientId = options.siteClientId;
  await saveDraft(draft);
  return draft;
}
