/**
 * 待巡查 rows for 今日任务, pure: the cached plan re-judged on the device clock, and work done on this phone. A row is
 * a site owing its periodic patrol, a due 控制措施检查 (管控层级 街道/区), or both, in one list.
 */
import type { PatrolPlan, PatrolStatus } from '../../api/types';
import type { Draft, OutboxItem } from '../../db/types';

/** What this phone holds for the site since the plan was fetched (the server does not know it yet). */
export type LocalWork = 'draft' | 'unsent' | 'sent' | null;

export interface PatrolRow {
  status: PatrolStatus;
  /** The periodic patrol is owed (re-judged now), and overdue. */
  patrolDue: boolean;
  patrolOverdue: boolean;
  /** The patrol or a measure check is overdue. */
  overdue: boolean;
  due: string;
  last: string;
  /** The due measure checks: the server's reason and their own due text. */
  measures: { reason: string; due: string; overdue: boolean } | null;
  local: LocalWork;
}

const DAY = 86_400_000;

function monthDay(date: Date): string {
  return `${date.getMonth() + 1}月${date.getDate()}日`;
}

/** 「11月30日前」 for a due instant (the midnight that ends a period), 「已逾期 3 天」 once it passed. */
export function dueText(dueAt: string, now: number): string {
  const due = new Date(dueAt).getTime();
  if (due <= now) return `已逾期 ${Math.max(1, Math.floor((now - due) / DAY))} 天`;
  return `${monthDay(new Date(due - 1))}前`;
}

function localWork(siteId: number, since: string | null, drafts: Draft[], outbox: OutboxItem[]): LocalWork {
  const after = since ? new Date(since).getTime() : 0;
  const done = outbox.filter((i) => i.kind === 'inspection' && i.siteId === siteId
    && !['superseded', 'needs_attention', 'discarded'].includes(i.state) && new Date(i.createdAt).getTime() >= after);
  if (done.some((i) => i.state === 'sent' || i.state === 'acknowledged')) return 'sent';
  if (done.length) return 'unsent';
  return drafts.some((d) => d.siteId === siteId) ? 'draft' : null;
}

/**
 * Whether the site still needs its patrol this period, judged now: the cached answer may be days old, and a
 * site patrolled in a period that has since ended is due again.
 */
export function needsPatrol(status: PatrolStatus, now: number): boolean {
  return !status.patrolled_this_period || new Date(status.period_ends_at).getTime() <= now;
}

/** The earliest instant the row owes something: its patrol (when owed) and its measure checks. */
function nextDue(row: PatrolRow): number {
  const times = row.patrolDue || !row.status.measure_checks ? [new Date(row.status.due_at).getTime()] : [];
  if (row.status.measure_checks) times.push(new Date(row.status.measure_checks.due_at).getTime());
  return Math.min(...times);
}

/**
 * 待巡查 from the cached plan: overdue first, then by the earliest due time (the patrol's or a measure check's), ties
 * in the server's order; sites inspected on this phone since the plan was fetched go to the end, since the next
 * refresh will drop them.
 */
export function patrolRows(plan: PatrolPlan | undefined, fetchedAt: string | null, drafts: Draft[],
  outbox: OutboxItem[], now: number): PatrolRow[] {
  const order = new Map((plan?.items ?? []).map((s, i) => [s, i]));
  const rows = (plan?.items ?? []).filter((s) => needsPatrol(s, now) || s.measure_checks).map((status): PatrolRow => {
    const patrolDue = needsPatrol(status, now);
    const checks = status.measure_checks;
    const measures = checks ? {
      reason: checks.reason, due: dueText(checks.due_at, now),
      overdue: checks.overdue || new Date(checks.due_at).getTime() <= now,
    } : null;
    const patrolOverdue = patrolDue && (status.overdue || new Date(status.due_at).getTime() <= now);
    return {
      status,
      patrolDue,
      patrolOverdue,
      overdue: patrolOverdue || Boolean(measures?.overdue),
      due: dueText(status.due_at, now),
      last: status.last_patrolled_at ? `上次巡查 ${monthDay(new Date(status.last_patrolled_at))}` : '从未巡查',
      measures,
      local: localWork(status.site.id, fetchedAt, drafts, outbox),
    };
  });
  const done = (r: PatrolRow) => (r.local === 'sent' || r.local === 'unsent' ? 1 : 0);
  return rows.sort((a, b) => done(a) - done(b) || Number(b.overdue) - Number(a.overdue)
    || nextDue(a) - nextDue(b)
    // Ties keep the server's order (by name, then id): a grid worker sees the list the supervisor sees.
    || order.get(a.status)! - order.get(b.status)!);
}

/** 「本期已巡查 12 / 40」: sites whose current period already has a patrol, as of now. */
export function patrolledCount(plan: PatrolPlan | undefined, now: number): { done: number; total: number } {
  const items = plan?.items ?? [];
  return { done: items.filter((s) => !needsPatrol(s, now)).length, total: items.length };
}
