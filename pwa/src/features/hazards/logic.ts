/** Hazard screens' rules, pure: deadline countdown, before/after pairs, roles, action forms, payloads, file links. */
import type { Hazard, HazardDetail, HazardPresence, HazardStatus } from '../../api/types';
import type { OutboxItem, Position } from '../../db/types';

export const STATUS_LABELS: Record<HazardStatus, string> = {
  found: '已发现', exposed: '已曝光', assigned: '已交办', rectifying: '整改中',
  awaiting_verification: '待复查', closed: '已闭环',
};
export const LEVEL_LABELS: Record<string, string> = { general: '一般', major: '重大' };

export interface Countdown {
  text: string;
  overdue: boolean;
  /** Less than a day left (or overdue): shown in red. */
  urgent: boolean;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** 「剩 3 天」「剩 5 小时」「已逾期 2 天」 for a deadline; null without one. */
export function countdown(deadline: string | null | undefined, now = Date.now()): Countdown | null {
  if (!deadline) return null;
  const left = new Date(deadline).getTime() - now;
  if (Number.isNaN(left)) return null;
  const abs = Math.abs(left);
  const amount = abs >= DAY ? `${Math.floor(abs / DAY)} 天` : abs >= HOUR ? `${Math.floor(abs / HOUR)} 小时`
    : `${Math.max(1, Math.floor(abs / 60_000))} 分钟`;
  if (left < 0) return { text: `已逾期 ${amount}`, overdue: true, urgent: true };
  return { text: `剩 ${amount}`, overdue: false, urgent: left < DAY };
}

/** Before/after photos side by side: the finding's photos against the rectification's. */
export function photoPairs(hazard: Pick<HazardDetail, 'photo_ids' | 'rectification'>): [string | null, string | null][] {
  const after = hazard.rectification?.photo_ids ?? [];
  const before = hazard.photo_ids.filter((p) => !after.includes(p));
  const pairs: [string | null, string | null][] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) pairs.push([before[i] ?? null, after[i] ?? null]);
  return pairs;
}

export interface Grant {
  role: string;
  region_id?: number | null;
  site_id?: number | null;
}

export type AppRole = 'enterprise' | 'official';

/** An account whose only grants are 企业用户 sees the enterprise home; everyone else the officials' one. */
export function appRole(grants: unknown[] | undefined): AppRole {
  const list = (grants ?? []) as Grant[];
  return list.length > 0 && list.every((g) => g.role === 'enterprise_user') ? 'enterprise' : 'official';
}

export function gridIds(grants: unknown[] | undefined): number[] {
  return ((grants ?? []) as Grant[]).filter((g) => g.role === 'grid_worker' && g.region_id)
    .map((g) => g.region_id as number);
}

/** Open hazards by urgency: overdue first, then the nearest deadline, then those without one. */
export function byUrgency(hazards: Hazard[]): Hazard[] {
  const key = (h: Hazard) => (h.deadline_at ? new Date(h.deadline_at).getTime() : Number.POSITIVE_INFINITY);
  return [...hazards].sort((a, b) => key(a) - key(b) || a.id - b.id);
}

/** 今日任务: what waits for my 复查, and what still runs against a deadline. */
export function todayLists(hazards: Hazard[], grids: number[] | null, siteGrid: (siteId: number) => number | undefined)
  : { toVerify: Hazard[]; open: Hazard[] } {
  const mine = grids === null ? hazards
    : hazards.filter((h) => grids.includes(siteGrid(h.site_id) ?? -1));
  return {
    toVerify: byUrgency(mine.filter((h) => h.status === 'awaiting_verification')),
    open: byUrgency(mine.filter((h) => h.status === 'assigned' || h.status === 'rectifying')),
  };
}

// --- actions ------------------------------------------------------------------------------------

export type FieldKind = 'text' | 'textarea' | 'number' | 'date' | 'photos';

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  required?: boolean;
  /** A date that must be later than today (new deadlines). */
  future?: boolean;
  hint?: string;
}

export interface ActionSpec {
  action: string;
  label: string;
  fields: FieldSpec[];
  danger?: boolean;
  /** Fired online through the 曝光台 endpoint, after a preview; not a workflow step in the outbox. */
  publication?: boolean;
}

// 16号令 第十五条第二款: the six parts of a 重大事故隐患治理方案 (same keys as the server's guard).
export const GOVERNANCE_PLAN_PARTS: [string, string][] = [
  ['goals', '治理的目标和任务'],
  ['methods', '采取的方法和措施'],
  ['funding', '经费和物资的落实'],
  ['organization', '负责治理的机构和人员'],
  ['schedule', '治理的时限和要求'],
  ['safety_measures', '安全措施和应急预案'],
];

export const ACTIONS: Record<string, ActionSpec> = {
  expose: { action: 'expose', label: '曝光（通报责任部门）', fields: [
    { name: 'note', label: '曝光说明', kind: 'textarea' },
  ] },
  assign: { action: 'assign', label: '交办（下达整改通知）', fields: [
    { name: 'deadline', label: '整改期限', kind: 'date', required: true, future: true,
      hint: '已按条目规定预填，可修改' },
    { name: 'note', label: '交办说明', kind: 'textarea' },
  ] },
  acknowledge: { action: 'acknowledge', label: '签收整改通知', fields: [] },
  submit_governance_plan: { action: 'submit_governance_plan', label: '提交重大隐患治理方案',
    fields: GOVERNANCE_PLAN_PARTS.map(([name, label]) => ({ name: `plan.${name}`, label, kind: 'textarea', required: true })) },
  approve_governance_plan: { action: 'approve_governance_plan', label: '治理方案审批通过', fields: [
    { name: 'note', label: '审批意见', kind: 'textarea' },
  ] },
  return_governance_plan: { action: 'return_governance_plan', label: '退回治理方案', danger: true, fields: [
    { name: 'note', label: '退回理由（企业将看到）', kind: 'textarea', required: true },
  ] },
  submit_rectification: { action: 'submit_rectification', label: '报告整改完成', fields: [
    { name: 'measures', label: '已采取的整改措施', kind: 'textarea', required: true },
    { name: 'cost', label: '整改资金（元）', kind: 'number' },
    { name: 'responsible_person', label: '整改责任人', kind: 'text' },
    { name: 'photo_ids', label: '整改后照片', kind: 'photos', required: true },
  ] },
  verify_pass: { action: 'verify_pass', label: '复查通过，销号', fields: [
    { name: 'note', label: '复查意见', kind: 'textarea' },
    { name: 'photo_ids', label: '复查照片', kind: 'photos' },
  ] },
  verify_fail: { action: 'verify_fail', label: '复查不通过', danger: true, fields: [
    { name: 'note', label: '不通过的原因', kind: 'textarea', required: true },
    { name: 'deadline', label: '重新整改期限', kind: 'date', required: true, future: true,
      hint: '已按条目规定预填，请确认或修改' },
    { name: 'photo_ids', label: '复查照片', kind: 'photos' },
  ] },
  request_extension: { action: 'request_extension', label: '申请延期', fields: [
    { name: 'reason', label: '延期理由', kind: 'textarea', required: true },
    { name: 'requested_deadline', label: '申请延至', kind: 'date', required: true, future: true },
  ] },
  approve_extension: { action: 'approve_extension', label: '同意延期', fields: [
    { name: 'deadline', label: '延至', kind: 'date', required: true, future: true, hint: '已预填企业申请的日期，可修改' },
    { name: 'note', label: '审批意见', kind: 'textarea' },
  ] },
  refuse_extension: { action: 'refuse_extension', label: '不同意延期', danger: true, fields: [
    { name: 'note', label: '不同意的理由', kind: 'textarea', required: true },
  ] },
  list_supervision: { action: 'list_supervision', label: '挂牌督办', danger: true, fields: [
    { name: 'authority', label: '督办单位', kind: 'text', required: true },
    { name: 'deadline', label: '督办期限', kind: 'date', required: true, future: true },
    { name: 'requirements', label: '督办要求', kind: 'textarea', required: true },
  ] },
  lift_supervision: { action: 'lift_supervision', label: '摘牌（督办销号）', fields: [
    { name: 'note', label: '摘牌说明', kind: 'textarea' },
  ] },
  close_on_site: { action: 'close_on_site', label: '当场整改', fields: [
    { name: 'before_photo_ids', label: '整改前照片', kind: 'photos', required: true },
    { name: 'after_photo_ids', label: '整改后照片', kind: 'photos', required: true },
    { name: 'note', label: '整改情况', kind: 'textarea' },
  ] },
  self_rectify: { action: 'self_rectify', label: '自查自改', fields: [
    { name: 'measures', label: '已采取的整改措施', kind: 'textarea', required: true },
    { name: 'photo_ids', label: '整改后照片', kind: 'photos', required: true },
    { name: 'note', label: '说明', kind: 'textarea' },
  ] },
  publish_exposure: { action: 'publish_exposure', label: '发布到曝光台', publication: true, fields: [] },
  withdraw_exposure: { action: 'withdraw_exposure', label: '从曝光台撤下', publication: true, danger: true, fields: [] },
};

/** The forms this app offers, in the order the server allows them. */
export function offeredActions(allowed: string[]): ActionSpec[] {
  return allowed.filter((a) => a in ACTIONS).map((a) => ACTIONS[a]);
}

export type FormValues = Record<string, string | string[]>;

type PrefillSource = Pick<HazardDetail, 'default_deadline' | 'extension'>;

/** What a form starts with: the item's default deadline (never applied silently), the date the enterprise asked for. */
export function initialValues(spec: ActionSpec, hazard: Partial<PrefillSource>): FormValues {
  const values: FormValues = {};
  if (spec.action === 'assign' || spec.action === 'verify_fail') {
    if (hazard.default_deadline) values.deadline = hazard.default_deadline;
  }
  if (spec.action === 'approve_extension' && hazard.extension?.requested_deadline) {
    values.deadline = localDate(hazard.extension.requested_deadline);
  }
  return values;
}

/** YYYY-MM-DD of an instant in Asia/Shanghai (the dates people mean). */
export function localDate(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(d);
}

/** Each field's problem, next to the field: what the server's guards would refuse, checked before queueing (offline too). */
export function fieldProblems(spec: ActionSpec, values: FormValues, hazard: Pick<HazardDetail, 'level'>
  & Partial<Pick<HazardDetail, 'governance_plan' | 'governance_plan_state'>>, now = new Date()): Record<string, string> {
  const problems: Record<string, string> = {};
  const today = localDate(now);
  for (const field of spec.fields) {
    const value = values[field.name];
    const empty = Array.isArray(value) ? value.length === 0 : !(value ?? '').toString().trim();
    if (field.required && empty) {
      problems[field.name] = field.kind === 'photos' ? `请拍摄${field.label}。`
        : field.kind === 'date' ? `请选择${field.label}。` : `请填写${field.label}。`;
    } else if (field.kind === 'number' && !empty && !(Number(value) >= 0)) {
      problems[field.name] = `${field.label}应为不小于 0 的数字。`;
    } else if (field.kind === 'date' && !empty) {
      const text = String(value);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) problems[field.name] = `${field.label}不是有效的日期。`;
      else if (field.future && text <= today) problems[field.name] = `${field.label}须晚于今天。`;
    }
  }
  if (spec.action === 'submit_rectification' && hazard.level === 'major'
      && (hazard.governance_plan_state !== undefined ? hazard.governance_plan_state !== 'approved' : !hazard.governance_plan)) {
    problems._ = '重大隐患须先有审批通过的治理方案，再报告整改完成。';
  }
  return problems;
}

/** The same problems as a list (for a summary). */
export function validateAction(spec: ActionSpec, values: FormValues, hazard: Pick<HazardDetail, 'level'>
  & Partial<Pick<HazardDetail, 'governance_plan' | 'governance_plan_state'>>, now = new Date()): string[] {
  return Object.values(fieldProblems(spec, values, hazard, now));
}

/** The POST /hazards/{id}/transitions body (plus hazard_id, which routes it); client_event_id = the outbox id.
 * A 复查 step carries the phone's position (left out when none could be had: the server records that too). */
export function transitionPayload(hazardId: number, spec: ActionSpec, values: FormValues, clientEventId: string,
  clientTime: string, position?: Position | null): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    hazard_id: hazardId, action: spec.action, client_event_id: clientEventId, client_time: clientTime,
  };
  if (VISIT_ACTIONS.includes(spec.action) && position) payload.position = position;
  const plan: Record<string, string> = {};
  for (const field of spec.fields) {
    const value = values[field.name];
    if (field.name.startsWith('plan.')) {
      plan[field.name.slice(5)] = String(value ?? '').trim();
      continue;
    }
    if (field.kind === 'photos') {
      if (Array.isArray(value) && value.length) payload[field.name] = [...value];
      continue;
    }
    const text = String(value ?? '').trim();
    if (!text) continue;
    payload[field.name] = field.kind === 'number' ? Number(text) : text;
  }
  if (Object.keys(plan).length) payload.plan = plan;
  return payload;
}

// --- 复查 presence --------------------------------------------------------------------------------------

/** The steps that are a 复查 visit: they record where the verifier stood. */
export const VISIT_ACTIONS = ['verify_pass', 'verify_fail'];

/** Metres between two WGS-84 points (haversine, as the server's geo.distance_m). */
export function distanceM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const p1 = lat1 * rad;
  const p2 = lat2 * rad;
  const a = Math.sin((p2 - p1) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

/** 「35 米」「5.2 公里」. */
export function distanceText(metres: number): string {
  return metres >= 1000 ? `${(metres / 1000).toFixed(1)} 公里` : `${Math.round(metres)} 米`;
}

export interface VisitPreview {
  distance: number | null;
  far: boolean;
  text: string;
}

/**
 * Where the verifier stands, before 销号: the distance to the site and, when it is beyond the allowance (plus the
 * fix's accuracy, the server's rule), the flag the server will record with the step.
 */
export function visitPreview(presence: HazardPresence | undefined, position: Position | null): VisitPreview {
  if (!position) return { distance: null, far: false, text: '未能取得手机定位：复查记录将注明“未定位”。可在手机设置中允许定位后重新打开此表单。' };
  if (!presence || presence.site_lat == null || presence.site_lng == null) {
    return { distance: null, far: false, text: `已取得定位（精度 ±${position.accuracy_m} 米）；该场所没有登记位置，无法计算距离。` };
  }
  const distance = distanceM(position.lat, position.lng, presence.site_lat, presence.site_lng);
  const far = distance > presence.max_distance_m + (position.accuracy_m || 0);
  return far
    ? { distance, far, text: `您现在距场所约 ${distanceText(distance)}，超出现场范围（${distanceText(presence.max_distance_m)}），可能不在现场；复查记录将注明。` }
    : { distance, far, text: `您现在距场所约 ${distanceText(distance)}（定位精度 ±${position.accuracy_m} 米），将记入复查记录。` };
}

/** What a recorded 复查 event says about where it was done (null: not a 复查 event). */
export function visitLine(kind: string, payload: Record<string, unknown>): string | null {
  if (!VISIT_ACTIONS.includes(kind) || !('distance_m' in payload)) return null;
  const distance = payload.distance_m as number | null;
  if (distance == null) return payload.position ? '复查位置已记录（场所没有登记位置，未计算距离）' : '复查时未取得定位';
  return `复查位置：距场所约 ${distanceText(distance)}${payload.far_from_site ? '，超出现场范围，可能不在现场' : ''}`;
}

/** The after-photos' doubts, one sentence each, in photo order. */
export function photoFlags(presence: HazardPresence | undefined): { photoId: string; code: string; message: string }[] {
  return (presence?.after_photos ?? []).flatMap((p) => p.flags.map((f) => ({ photoId: p.photo_id, ...f })));
}

/** Workflow steps for this hazard still on their way to the server (the screen waits for them). */
export function pendingSteps(items: OutboxItem[], hazardId: number): OutboxItem[] {
  return items.filter((i) => i.kind === 'transition' && Number(i.payload.hazard_id) === hazardId
    && ['queued', 'sending', 'needs_attention'].includes(i.state));
}

// --- documents and the ledger ---------------------------------------------------------------------

export const DOCUMENT_LABELS: Record<string, string> = { order: '整改通知书', verification: '复查意见书' };

/** The PDF of a 整改通知书 / 复查意见书. */
export function documentPdfPath(id: number): string {
  return `/api/v1/documents/${id}.pdf`;
}

/** 隐患台账 (XLSX) with the list's current filter: the same hazards the list shows, all of them. */
export function ledgerExportPath(filter: string): string {
  const open = 'found,exposed,assigned,rectifying,awaiting_verification';
  const query = filter === 'verify' ? 'status=awaiting_verification'
    : filter === 'rectify' ? 'status=assigned,rectifying'
      : filter === 'overdue' ? `status=${open}&overdue=true` : `status=${open}`;
  return `/api/v1/hazards/export.xlsx?${query}&sort=deadline_at`;
}

// --- 曝光台 preview ----------------------------------------------------------------------------------

/** A photo not yet published has no public copy: the preview shows the same photo's thumbnail. */
export function previewPhoto(publicUrl: string): string {
  const m = /^\/api\/v1\/photos\/([^/]+)\/public$/.exec(publicUrl);
  return m ? `/api/v1/photos/${m[1]}/thumbnail` : publicUrl;
}
