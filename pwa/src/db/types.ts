/** Record shapes kept in IndexedDB: drafts, outbox items, photos, cached API data, app meta. */

export type ComplianceResult = '符合' | '不符合' | '不涉及';

export interface Position {
  lat: number;
  lng: number;
  accuracy_m: number;
}

/** One answer as the form holds it; only answered items are sent. */
export interface AnswerDraft {
  result?: ComplianceResult;
  value?: number;
  choice?: string;
  count: number;
  finding: string;
  photoIds: string[];
  fixedOnSite: boolean;
  afterPhotoIds: string[];
  /** The inspector's judgement for an item that may constitute a 重大隐患 (absent: 一般). */
  level?: '一般' | '重大';
}

export type InspectionMode = 'routine' | 'covert' | 'self' | 'enforcement' | 'reinspection' | 'joint';

/** A form in progress; its id becomes the client UUID of the outbox item it is submitted as. */
export interface InspectionDraft {
  id: string;
  kind: 'inspection';
  siteId: number;
  siteName: string;
  checklistId: string;
  checklistVersion: string;
  checklistTitle: string;
  mode: InspectionMode;
  startedAt: string;
  updatedAt: string;
  answers: Record<string, AnswerDraft>;
  notes: string;
  signaturePhotoId: string | null;
  position: Position | null;
  qrScan: { token: string; scanned_at: string } | null;
  /** Set when this draft revises an outbox item that had already partly reached the server. */
  replaces: string | null;
  /** A site registered on this phone and not yet on the server: the client UUID of its outbox item. */
  siteClientId?: string | null;
}

export type Draft = InspectionDraft;

export type OutboxState =
  | 'draft'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'acknowledged'
  | 'needs_attention'
  | 'superseded'
  /** Given up by the user after a refusal: never sent, kept on the phone and in its export. */
  | 'discarded';

/** inspection, 随手拍 hazard, one hazard workflow step (整改、复查、延期 …), a month's 自查自报, or a 现场新增场所. */
export type OutboxKind = 'inspection' | 'hazard' | 'transition' | 'selfcheck' | 'site';

export interface ProblemInfo {
  status: number | null;
  detail: string;
  errors?: { field?: string | null; message: string; code?: string }[];
}

export interface OutboxItem {
  /** The client UUID: the server's idempotency key. */
  id: string;
  kind: OutboxKind;
  state: OutboxState;
  label: string;
  siteId: number | null;
  payload: Record<string, unknown>;
  /** Every photo the payload references, uploaded before the item itself. */
  photoIds: string[];
  uploadedPhotoIds: string[];
  /** True once any part (a photo or the item request) may have reached the server. */
  frozen: boolean;
  attempts: number;
  nextAttemptAt: number;
  lastError: ProblemInfo | null;
  replaces: string | null;
  supersededBy: string | null;
  /**
   * The outbox item this one must follow (a 现场新增场所 that an inspection names): it is not sent before that
   * item is on the server, and its payload's site_id is that item's server id. Absent in older items.
   */
  after?: string | null;
  /** The form the item was made from, so "fix and resend" can reopen it. */
  source: Draft | null;
  response: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
}

export interface PhotoRecord {
  /** SHA-256 of the stored (resized) JPEG, hex: the server's photo id too. */
  id: string;
  blob: Blob;
  type: string;
  size: number;
  width: number;
  height: number;
  capturedAt: string;
  position: Position | null;
  createdAt: string;
}

export interface CacheEntry<T = unknown> {
  key: string;
  data: T;
  etag: string | null;
  fetchedAt: string;
}
