/** Hazard screens' rules, pure: deadline countdown, before/after pairs, roles, action forms and their payloads. */
import type { Hazard, HazardDetail, HazardStatus } from '../../api/types';
import type { OutboxItem } from '../../db/types';

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
}

export interface ActionSpec {
  action: string;
  label: string;
  fields: FieldSpec[];
  danger?: boolean;
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
  assign: { action: 'assign', label: '交办（下达整改通知）', fields: [
    { name: 'deadline', label: '整改期限（不填按条目规定计算）', kind: 'date' },
    { name: 'note', label: '交办说明', kind: 'textarea' },
  ] },
  acknowledge: { action: 'acknowledge', label: '签收整改通知', fields: [] },
  submit_governance_plan: { action: 'submit_governance_plan', label: '提交重大隐患治理方案',
    fields: GOVERNANCE_PLAN_PARTS.map(([name, label]) => ({ name: `plan.${name}`, label, kind: 'textarea', required: true })) },
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
    { name: 'photo_ids', label: '复查照片', kind: 'photos' },
  ] },
  request_extension: { action: 'request_extension', label: '申请延期', fields: [
    { name: 'reason', label: '延期理由', kind: 'textarea', required: true },
    { name: 'requested_deadline', label: '申请延至', kind: 'date', required: true },
  ] },
};

/** The forms this app offers, in the order the server allows them. */
export function offeredActions(allowed: string[]): ActionSpec[] {
  return allowed.filter((a) => a in ACTIONS).map((a) => ACTIONS[a]);
}

export type FormValues = Record<string, string | string[]>;

/** What the server's guards would refuse, checked before the step is queued (offline too). */
export function validateAction(spec: ActionSpec, values: FormValues, hazard: Pick<HazardDetail, 'level' | 'governance_plan'>)
  : string[] {
  const problems: string[] = [];
  for (const field of spec.fields) {
    const value = values[field.name];
    const empty = Array.isArray(value) ? value.length === 0 : !(value ?? '').toString().trim();
    if (field.required && empty) problems.push(field.kind === 'photos' ? `请拍摄${field.label}。` : `请填写${field.label}。`);
    if (field.kind === 'number' && !empty && !(Number(value) >= 0)) problems.push(`${field.label}应为不小于 0 的数字。`);
  }
  if (spec.action === 'submit_rectification' && hazard.level === 'major' && !hazard.governance_plan) {
    problems.push('重大隐患须先提交治理方案，再报告整改完成。');
  }
  return problems;
}

/** The POST /hazards/{id}/transitions body (plus hazard_id, which routes it); client_event_id = the outbox id. */
export function transitionPayload(hazardId: number, spec: ActionSpec, values: FormValues, clientEventId: string,
  clientTime: string): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    hazard_id: hazardId, action: spec.action, client_event_id: clientEventId, client_time: clientTime,
  };
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

/** Workflow steps for this hazard still on their way to the server (the screen waits for them). */
export function pendingSteps(items: OutboxItem[], hazardId: number): OutboxItem[] {
  return items.filter((i) => i.kind === 'transition' && Number(i.payload.hazard_id) === hazardId
    && ['queued', 'sending', 'needs_attention'].includes(i.state));
}
