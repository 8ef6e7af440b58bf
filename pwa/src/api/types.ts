/** Shapes the API returns, as far as the app reads them. */

export interface Site {
  id: number;
  name: string;
  address: string;
  credit_code?: string | null;
  grid_id: number;
  grid_name?: string;
  category: string;
  domains: string[];
  risk_level?: string;
  contact_name?: string | null;
  contact_mobile?: string | null;
  lat?: number | null;
  lng?: number | null;
  notes?: string | null;
  active?: boolean;
  /** 合并重复场所: the site this one was merged into (it keeps resolving). */
  merged_into_id?: number | null;
  qr_token?: string | null;
  qr_rotated_at?: string | null;
  allowed_actions?: string[];
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
}

export interface ChecklistSummary {
  id: string;
  version: string;
  title: string;
  content_hash: string;
  categories: string[];
  domains: string[];
  item_count: number;
}

export type AnswerSpec =
  | { type: 'compliance' }
  | { type: 'number'; unit?: string; min?: number; max?: number }
  | { type: 'choice'; options: { value: string; label: string; compliant: boolean }[] };

export interface ChecklistItem {
  code: string;
  text: string;
  method?: string;
  answer: AnswerSpec;
  photo_required_on_fail?: boolean;
  /** major_condition: when a finding on this item is a 重大隐患 (the criterion the inspector judges against). */
  hazard?: { description?: string; level?: '一般' | '重大'; major_condition?: string };
  deduction?: number;
  note?: string;
}

export interface ChecklistSection {
  code: string;
  title: string;
  cap?: number;
  items: ChecklistItem[];
}

export interface ChecklistContent {
  id: string;
  title: string;
  version: string;
  total_score?: number;
  sections: ChecklistSection[];
}

export interface ChecklistVersion extends ChecklistSummary {
  content: ChecklistContent;
}

export type HazardStatus = 'found' | 'exposed' | 'assigned' | 'rectifying' | 'awaiting_verification' | 'closed';

export interface Hazard {
  id: number;
  number: string;
  site_id: number;
  site_name: string;
  source: string;
  covert: boolean;
  item_code: string | null;
  description: string;
  level: 'general' | 'major';
  domain: string;
  status: HazardStatus;
  found_at: string;
  deadline_at: string | null;
  deadline_estimated?: boolean;
  overdue: boolean;
  rejection_count?: number;
  repeat_count?: number;
  extension_state?: string | null;
  supervised?: boolean;
  closed_at?: string | null;
  photo_ids: string[];
}

export interface HazardEvent {
  id: number;
  kind: string;
  label: string;
  from_status: string | null;
  to_status: string | null;
  actor_name: string | null;
  actor_role: string | null;
  occurred_at: string;
  note: string | null;
  payload: Record<string, unknown>;
  photo_hashes: string[];
}

/** 三标: the checklist item with its standard (标准), hazard criterion (隐患判定) and enforcement basis (执法依据). */
export interface HazardItemReference {
  code: string;
  text: string;
  checklist_id?: string;
  checklist_version?: string;
  standard?: { document?: string; clause?: string; text?: string };
  hazard?: { description?: string; level?: string; criterion?: string };
  enforcement?: {
    violated?: { law?: string; article?: string }[];
    penalty?: { law?: string; article?: string; range?: string };
  };
  basis_verified?: boolean;
}

export interface HazardDocument {
  id: number;
  kind: 'order' | 'verification' | string;
  number: string;
  issued_at: string;
}

export interface HazardExtension {
  state: 'requested' | 'approved' | 'refused' | string;
  reason: string | null;
  requested_deadline: string | null;
  requested_at: string | null;
  after_deadline: boolean;
  decided_at: string | null;
  decision_note: string | null;
}

/** 复查 presence: the site's point and allowance, each after-photo's doubts, the last 复查 visit as recorded. */
export interface HazardPresence {
  site_lat: number | null;
  site_lng: number | null;
  max_distance_m: number;
  after_photos: { photo_id: string; taken_at: string | null; flags: { code: string; message: string }[] }[];
  last_visit: { kind: string; occurred_at: string; distance_m: number | null; far_from_site: boolean;
    located: boolean; message: string | null } | null;
}

export interface HazardDetail extends Hazard {
  item: HazardItemReference | null;
  /** 来自检查: the inspection that found it (absent in copies cached before the server sent it). */
  inspection_id?: number | null;
  /** Absent in copies cached before the server sent it. */
  presence?: HazardPresence;
  governance_plan: Record<string, string> | null;
  rectification: { measures?: string; cost?: number | null; responsible_person?: string | null;
    photo_ids?: string[] } | null;
  extension_reason?: string | null;
  extension_requested_deadline?: string | null;
  /** 延期: the hazard's extension request and its decision (null: none asked for). */
  extension?: HazardExtension | null;
  /** 治理方案审批: null none submitted, then submitted / approved / returned (+ the reviewer's note). */
  governance_plan_state?: 'submitted' | 'approved' | 'returned' | null;
  governance_plan_note?: string | null;
  /** 挂牌督办: 督办单位, 期限, 要求, listed and lifted (摘牌) times; null if never listed. */
  supervision?: { authority: string | null; deadline: string | null; requirements: string | null;
    listed_at: string | null; lifted_at: string | null } | null;
  /** YYYY-MM-DD: what 交办 / 复查不通过 would use; the forms pre-fill it. */
  default_deadline?: string;
  /** On the public 曝光台 now. */
  published?: boolean;
  /** The role's steps waiting for a prerequisite, with the reason. */
  blocked_actions?: { action: string; label: string; reason: string }[];
  allowed_actions: string[];
  documents: HazardDocument[];
  timeline: HazardEvent[];
}

export interface HazardPage {
  items: Hazard[];
  next_cursor: string | null;
  counts: Record<string, number> | null; // first page only
}

/** The 控制措施检查 (管控层级 街道/区) a site owes, folded into its patrol-plan row. */
export interface MeasuresDue {
  count: number;
  overdue: boolean;
  /** The earliest check is required before this instant. */
  due_at: string;
  names: string[];
  /** The checklists holding the measures' items. */
  checklist_ids: string[];
  /** 「管控措施检查到期：…」 */
  reason: string;
}

/** One site's place in the patrol plan (巡查计划), from GET /patrols/due. */
export interface PatrolStatus {
  site: Site;
  period: 'week' | 'month' | 'quarter' | 'half_year' | 'year';
  period_label: string;
  last_patrolled_at: string | null;
  /** The next patrol is required before this instant. */
  due_at: string;
  /** A whole period passed without a patrol (as of the server's answer). */
  overdue: boolean;
  patrolled_this_period: boolean;
  /** The end of the site's current period: after it, a site patrolled "this period" is due again. */
  period_ends_at: string;
  /** The periodic patrol is still owed this period (absent in plans cached before it existed). */
  patrol_due?: boolean;
  /** Due control measure checks of the site, or null. */
  measure_checks?: MeasuresDue | null;
  /** Why the site is in the plan, in words. */
  reasons?: string[];
}

export interface PatrolPlan {
  items: PatrolStatus[];
  total: number;
  overdue: number;
}
