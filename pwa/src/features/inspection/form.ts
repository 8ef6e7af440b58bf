/** Inspection form logic without UI: answering items, validation, and the payload the server takes. */
import type { ChecklistContent, ChecklistItem } from '../../api/types';
import type { AnswerDraft, ComplianceResult, InspectionDraft, InspectionMode } from '../../db/types';

export const RESULTS: ComplianceResult[] = ['符合', '不符合', '不涉及'];

export function allItems(content: ChecklistContent): ChecklistItem[] {
  return content.sections.flatMap((s) => s.items);
}

export function emptyAnswer(): AnswerDraft {
  return { count: 1, finding: '', photoIds: [], fixedOnSite: false, afterPhotoIds: [] };
}

/** 不涉及 answers any item kind (a number or a choice too): the item does not apply to this site. */
export function isNotApplicable(answer: AnswerDraft | undefined): boolean {
  return answer?.result === '不涉及';
}

export function isAnswered(item: ChecklistItem, answer: AnswerDraft | undefined): boolean {
  if (!answer) return false;
  if (isNotApplicable(answer)) return true;
  switch (item.answer.type) {
    case 'number': return typeof answer.value === 'number' && Number.isFinite(answer.value);
    case 'choice': return !!answer.choice;
    default: return !!answer.result;
  }
}

/** Whether this answer is a finding (不符合), by the item's answer type. */
export function isFailed(item: ChecklistItem, answer: AnswerDraft | undefined): boolean {
  if (!answer || !isAnswered(item, answer) || isNotApplicable(answer)) return false;
  const spec = item.answer;
  if (spec.type === 'number') {
    const v = answer.value as number;
    return (spec.min != null && v < spec.min) || (spec.max != null && v > spec.max);
  }
  if (spec.type === 'choice') {
    const option = spec.options.find((o) => o.value === answer.choice);
    return option ? !option.compliant : false;
  }
  return answer.result === '不符合';
}

/** Apply a change to one item's answer; a new finding gets the item's hazard description as its text. */
export function updateAnswer(
  draft: InspectionDraft, item: ChecklistItem, change: Partial<AnswerDraft>,
): InspectionDraft {
  const before = draft.answers[item.code] ?? emptyAnswer();
  const answer: AnswerDraft = { ...before, ...change };
  // A value or a choice given after 不涉及 replaces it; 不涉及 clears them.
  if (item.answer.type !== 'compliance' && ('value' in change || 'choice' in change) && !('result' in change)) {
    delete answer.result;
  }
  if (change.result === '不涉及') {
    delete answer.value;
    delete answer.choice;
  }
  if (isFailed(item, answer) && !answer.finding.trim() && !('finding' in change)) {
    answer.finding = item.hazard?.description ?? item.text;
  }
  return { ...draft, answers: { ...draft.answers, [item.code]: answer } };
}

/** Mark every unanswered compliance item of a section 符合 (the "rest are fine" button). */
export function answerRestCompliant(draft: InspectionDraft, items: ChecklistItem[]): InspectionDraft {
  let next = draft;
  for (const item of items) {
    if (item.answer.type === 'compliance' && !isAnswered(item, next.answers[item.code])) {
      next = updateAnswer(next, item, { result: '符合' });
    }
  }
  return next;
}

/** 本节不涉及: every unanswered item of the section (of any kind) becomes 不涉及 — never 符合. */
export function answerRestNotApplicable(draft: InspectionDraft, items: ChecklistItem[]): InspectionDraft {
  let next = draft;
  for (const item of items) {
    if (!isAnswered(item, next.answers[item.code])) next = updateAnswer(next, item, { result: '不涉及' });
  }
  return next;
}

/** A finding on this item may constitute a 重大隐患: the inspector sees the criterion and decides. */
export function mayBeMajor(item: ChecklistItem): boolean {
  return item.hazard?.level === '重大' || !!item.hazard?.major_condition;
}

/** The criterion shown beside the 一般/重大 choice. */
export function majorCriterion(item: ChecklistItem): string {
  return item.hazard?.major_condition || '符合重大事故隐患判定标准的，判为重大隐患。';
}

export interface FormIssue {
  itemCode: string | null;
  message: string;
}

/** What stops the form from being submitted. Unanswered items are allowed (reported separately). */
export function validate(draft: InspectionDraft, content: ChecklistContent): FormIssue[] {
  const issues: FormIssue[] = [];
  for (const item of allItems(content)) {
    const answer = draft.answers[item.code];
    if (!isFailed(item, answer)) continue;
    if (item.photo_required_on_fail && answer!.photoIds.length === 0) {
      issues.push({ itemCode: item.code, message: `「${item.text}」不符合，须拍照取证。` });
    }
    if (!answer!.finding.trim()) {
      issues.push({ itemCode: item.code, message: `「${item.text}」不符合，请填写隐患描述。` });
    }
    if (answer!.fixedOnSite && answer!.afterPhotoIds.length === 0) {
      issues.push({ itemCode: item.code, message: `「${item.text}」已当场整改，须拍整改后照片。` });
    }
    if (!Number.isInteger(answer!.count) || answer!.count < 1) {
      issues.push({ itemCode: item.code, message: `「${item.text}」处数应为正整数。` });
    }
  }
  return issues;
}

export function unansweredItems(draft: InspectionDraft, content: ChecklistContent): ChecklistItem[] {
  return allItems(content).filter((item) => !isAnswered(item, draft.answers[item.code]));
}

export function unansweredCount(draft: InspectionDraft, content: ChecklistContent): number {
  return unansweredItems(draft, content).length;
}

/** Every photo the draft references (findings, after-photos, signature), each once. */
export function photoIdsOf(draft: InspectionDraft): string[] {
  const ids = Object.values(draft.answers).flatMap((a) => [...a.photoIds, ...(a.fixedOnSite ? a.afterPhotoIds : [])]);
  if (draft.signaturePhotoId) ids.push(draft.signaturePhotoId);
  return [...new Set(ids)];
}

/** ISO 8601 with the device's own offset, as the server expects ("2026-05-01T09:30:00+08:00"). */
export function isoWithOffset(date: Date): string {
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}:${pad(date.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

/** The POST /api/v1/inspections body for a draft; only answered items are included. */
export function toPayload(draft: InspectionDraft, content: ChecklistContent, finishedAt: Date, savedAt: Date)
  : Record<string, unknown> {
  const answers = allItems(content)
    .filter((item) => isAnswered(item, draft.answers[item.code]))
    .map((item) => {
      const a = draft.answers[item.code];
      const failed = isFailed(item, a);
      const out: Record<string, unknown> = { item_code: item.code };
      if (isNotApplicable(a)) out.result = '不涉及';
      else if (item.answer.type === 'number') out.value = a.value;
      else if (item.answer.type === 'choice') out.choice = a.choice;
      else out.result = a.result;
      out.count = failed ? a.count : 1;
      out.finding = failed ? a.finding.trim() : '';
      out.photo_ids = failed ? [...a.photoIds] : [];
      out.fixed_on_site = failed && a.fixedOnSite;
      out.after_photo_ids = failed && a.fixedOnSite ? [...a.afterPhotoIds] : [];
      // The judgement is sent for every finding that may be major, so the record shows it was made.
      if (failed && mayBeMajor(item)) out.level = a.level ?? '一般';
      return out;
    });
  return {
    client_uuid: draft.id,
    site_id: draft.siteId,
    checklist_id: draft.checklistId,
    checklist_version: draft.checklistVersion,
    mode: draft.mode,
    started_at: draft.startedAt,
    finished_at: isoWithOffset(finishedAt),
    saved_at: isoWithOffset(savedAt),
    position: draft.position,
    qr_scan: draft.qrScan,
    answers,
    notes: draft.notes,
    signature_photo_id: draft.signaturePhotoId,
    // A revision of an item that partly reached the server names the one it replaces.
    ...(draft.replaces ? { replaces_client_uuid: draft.replaces } : {}),
  };
}

export const MODES: { value: InspectionMode; label: string }[] = [
  { value: 'routine', label: '日常巡查' },
  { value: 'covert', label: '暗查暗访' },
  { value: 'self', label: '企业自查' },
  { value: 'enforcement', label: '执法检查' },
  { value: 'reinspection', label: '复查' },
  { value: 'joint', label: '联合检查' },
];

export function newInspectionDraft(init: {
  id: string; siteId: number; siteName: string; checklistId: string; checklistVersion: string;
  checklistTitle: string; qrScan?: InspectionDraft['qrScan']; now?: Date; mode?: InspectionMode;
}): InspectionDraft {
  const now = init.now ?? new Date();
  return {
    id: init.id,
    kind: 'inspection',
    siteId: init.siteId,
    siteName: init.siteName,
    checklistId: init.checklistId,
    checklistVersion: init.checklistVersion,
    checklistTitle: init.checklistTitle,
    mode: init.mode ?? 'routine',
    startedAt: isoWithOffset(now),
    updatedAt: now.toISOString(),
    answers: {},
    notes: '',
    signaturePhotoId: null,
    position: null,
    qrScan: init.qrScan ?? null,
    replaces: null,
  };
}
