/** Pure inbox rules: grouping notices by local day, where each one leads, and its kind in words. */

export interface Notice {
  id: number;
  kind: string;
  title: string;
  body: string;
  hazard_id: number | null;
  created_at: string;
  read_at: string | null;
}

const ZONE = 'Asia/Shanghai';
const dayKey = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
const dayLabel = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, month: 'long', day: 'numeric', weekday: 'short' });
const timeLabel = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hour12: false });

/** The local (Asia/Shanghai) calendar day of an instant, as YYYY-MM-DD. */
export function localDay(iso: string | Date): string {
  return dayKey.format(typeof iso === 'string' ? new Date(iso) : iso);
}

export function localTime(iso: string): string {
  return timeLabel.format(new Date(iso));
}

/** Notices (newest first) in groups by local day: 今天, 昨天, then 「12月1日周二」. */
export function groupByDay(items: Notice[], now: Date = new Date()): { day: string; label: string; items: Notice[] }[] {
  const today = localDay(now);
  const yesterday = localDay(new Date(now.getTime() - 86_400_000));
  const groups: { day: string; label: string; items: Notice[] }[] = [];
  for (const n of items) {
    const day = localDay(n.created_at);
    let group = groups.find((g) => g.day === day);
    if (!group) {
      const label = day === today ? '今天' : day === yesterday ? '昨天' : dayLabel.format(new Date(n.created_at));
      group = { day, label, items: [] };
      groups.push(group);
    }
    group.items.push(n);
  }
  return groups;
}

/** Where tapping a notice leads: its hazard, the 举报 triage queue, the 通报 list, or nowhere. */
export function linkFor(n: Notice, console: boolean): string | null {
  if (n.hazard_id != null) return `/hazards/${n.hazard_id}`;
  if (n.kind.startsWith('report.')) return console ? '/console/reports' : null;
  if (n.kind.startsWith('circular.')) return console ? '/console/circulars' : null;
  if (n.kind === 'reminder.self_check') return '/selfcheck';  // 每月自查自报 not yet in
  return null;
}

const KINDS: [string, string][] = [
  ['hazard.assign', '交办'],
  ['hazard.verify_fail', '复查结果'],
  ['hazard.verify_pass', '复查结果'],
  ['hazard.request_extension', '延期申请'],
  ['hazard.approve_extension', '延期审批'],
  ['hazard.refuse_extension', '延期审批'],
  ['hazard.submit_rectification', '待复查'],
  ['hazard.return_governance_plan', '治理方案'],
  ['hazard.approve_governance_plan', '治理方案'],
  ['reminder.self_check', '自查自报'],
  ['hazard.self_reported', '企业自报'],
  ['reminder.', '到期提醒'],
  ['escalation.', '逾期督办'],
  ['report.', '举报受理'],
  ['console.remind', '催办'],
  ['circular.', '通报'],
];

/** The notice's kind in domain words (never the code). */
export function kindLabel(kind: string): string {
  return KINDS.find(([prefix]) => kind === prefix || (prefix.endsWith('.') && kind.startsWith(prefix)))?.[1] ?? '消息';
}

/** The same list with some notices marked read at `at` (what the server would answer). */
export function markedRead(items: Notice[], ids: Set<number> | 'all', at: string): Notice[] {
  return items.map((n) => (n.read_at == null && (ids === 'all' || ids.has(n.id)) ? { ...n, read_at: at } : n));
}
