import { beforeAll, describe, expect, it } from 'vitest';
import type { PatrolPlan, PatrolStatus } from '../../api/types';
import type { Draft, OutboxItem } from '../../db/types';
import { newInspectionDraft } from '../inspection/form';
import { dueText, needsPatrol, patrolRows, patrolledCount } from './patrols';

beforeAll(() => {
  // The dates shown are the phone's local dates; Node reads TZ again when it changes.
  (globalThis as unknown as { process: { env: Record<string, string> } }).process.env.TZ = 'Asia/Shanghai';
});

const NOW = new Date('2026-11-20T10:00:00+08:00').getTime();
const FETCHED = '2026-11-20T01:00:00.000Z'; // 09:00 local

function status(id: number, name: string, fields: Partial<PatrolStatus>): PatrolStatus {
  return {
    site: { id, name, address: '', grid_id: 1, grid_name: 'A1网格', category: 'small_restaurant', domains: [] },
    period: 'month', period_label: '每月', last_patrolled_at: null, due_at: '2026-12-01T00:00:00+08:00',
    overdue: false, patrolled_this_period: false, period_ends_at: '2026-12-01T00:00:00+08:00', ...fields,
  };
}

function plan(...items: PatrolStatus[]): PatrolPlan {
  return { items, total: items.length, overdue: items.filter((i) => i.overdue).length };
}

function outboxItem(siteId: number, state: OutboxItem['state'], createdAt: string): OutboxItem {
  return {
    id: `o-${siteId}-${state}`, kind: 'inspection', state, label: '', siteId, payload: {}, photoIds: [],
    uploadedPhotoIds: [], frozen: false, attempts: 0, nextAttemptAt: 0, lastError: null, replaces: null,
    supersededBy: null, source: null, response: null, createdAt, updatedAt: createdAt, sentAt: null,
  };
}

describe('due text', () => {
  it('names the last day of the period, not the midnight that ends it', () => {
    expect(dueText('2026-12-01T00:00:00+08:00', NOW)).toBe('11月30日前');
    expect(dueText('2026-11-23T00:00:00+08:00', NOW)).toBe('11月22日前');
  });
  it('shows the last day of the week, month, quarter and year that owes the patrol', () => {
    const thursday = new Date('2026-12-03T10:00:00+08:00').getTime();
    expect(dueText('2026-12-07T00:00:00+08:00', thursday)).toBe('12月6日前'); // Sunday ends the week
    expect(dueText('2027-01-01T00:00:00+08:00', thursday)).toBe('12月31日前'); // December, Q4 and 2026 end
    expect(dueText('2026-12-06T16:00:00.000Z', thursday)).toBe('12月6日前'); // the same instant written in UTC
  });
  it('counts whole days overdue, at least one', () => {
    expect(dueText('2026-10-01T00:00:00+08:00', NOW)).toBe('已逾期 50 天');
    expect(dueText('2026-11-20T09:00:00+08:00', NOW)).toBe('已逾期 1 天');
  });
});

describe('patrol rows', () => {
  const october = status(1, '十月巡过', { last_patrolled_at: '2026-10-31T23:59:00+08:00' });
  const q2 = status(2, '二季度巡过', { period: 'quarter', period_label: '每季度', overdue: true,
    last_patrolled_at: '2026-06-30T23:00:00+08:00', due_at: '2026-10-01T00:00:00+08:00' });
  const never = status(3, '从未巡查', { overdue: true, due_at: '2026-11-01T00:00:00+08:00' });
  const week = status(4, '红色风险', { period: 'week', period_label: '每周', due_at: '2026-11-23T00:00:00+08:00',
    last_patrolled_at: '2026-11-15T20:00:00+08:00', period_ends_at: '2026-11-23T00:00:00+08:00' });
  const done = status(5, '本月已巡', { patrolled_this_period: true, last_patrolled_at: '2026-11-02T10:00:00+08:00',
    due_at: '2027-01-01T00:00:00+08:00' });

  it('lists overdue first, then by due time, and leaves out sites patrolled this period', () => {
    const rows = patrolRows(plan(october, done, week, never, q2), FETCHED, [], [], NOW);
    expect(rows.map((r) => [r.status.site.name, r.overdue, r.due, r.last])).toEqual([
      ['二季度巡过', true, '已逾期 50 天', '上次巡查 6月30日'],
      ['从未巡查', true, '已逾期 19 天', '从未巡查'],
      ['红色风险', false, '11月22日前', '上次巡查 11月15日'],
      ['十月巡过', false, '11月30日前', '上次巡查 10月31日'],
    ]);
    expect(patrolledCount(plan(october, done, week, never, q2), NOW)).toEqual({ done: 1, total: 5 });
  });

  it('re-judges an old cached plan on the device clock: due times pass, a new period begins', () => {
    const later = new Date('2026-12-02T08:00:00+08:00').getTime();
    const rows = patrolRows(plan(october, done), FETCHED, [], [], later);
    // October's site missed November; the site patrolled in November is due again in December.
    expect(rows.map((r) => [r.status.site.name, r.overdue, r.due])).toEqual([
      ['十月巡过', true, '已逾期 1 天'],
      ['本月已巡', false, '12月31日前'],
    ]);
    expect(needsPatrol(done, NOW)).toBe(false);
    expect(needsPatrol(done, later)).toBe(true);
  });

  it('marks work done on this phone since the plan was fetched and moves finished patrols to the end', () => {
    const draft: Draft = newInspectionDraft({ id: 'd1', siteId: 1, siteName: '十月巡过', checklistId: 'c',
      checklistVersion: '1', checklistTitle: '检查表' });
    const outbox = [
      outboxItem(3, 'queued', '2026-11-20T01:30:00.000Z'),
      outboxItem(2, 'sent', '2026-11-19T01:00:00.000Z'), // before the plan was fetched: already counted by it
      outboxItem(4, 'needs_attention', '2026-11-20T01:30:00.000Z'), // rejected: not a patrol yet
    ];
    const rows = patrolRows(plan(october, week, never, q2), FETCHED, [draft], outbox, NOW);
    expect(rows.map((r) => [r.status.site.name, r.local])).toEqual([
      ['二季度巡过', null],
      ['红色风险', null],
      ['十月巡过', 'draft'],
      ['从未巡查', 'unsent'],
    ]);
  });

  it('keeps a patrolled site whose control measure checks are due, in the one list by the earliest due time', () => {
    const measures = (dueAt: string, overdue: boolean) => ({
      count: 2, overdue, due_at: dueAt, names: ['疏散通道、安全出口保持畅通', '按标准配置灭火器并保持完好有效'],
      checklist_ids: ['fire-small-shop'], reason: '管控措施检查到期：疏散通道、安全出口保持畅通；按标准配置灭火器并保持完好有效',
    });
    const measureOnly = status(6, '只差措施检查', { patrolled_this_period: true, patrol_due: false,
      last_patrolled_at: '2026-11-02T10:00:00+08:00', due_at: '2027-01-01T00:00:00+08:00',
      measure_checks: measures('2026-11-23T00:00:00+08:00', false) });
    const overdueMeasures = status(7, '措施检查逾期', { patrolled_this_period: true, patrol_due: false,
      last_patrolled_at: '2026-11-02T10:00:00+08:00', due_at: '2027-01-01T00:00:00+08:00',
      measure_checks: measures('2026-10-01T00:00:00+08:00', true) });
    const rows = patrolRows(plan(october, done, measureOnly, overdueMeasures), FETCHED, [], [], NOW);
    expect(rows.map((r) => [r.status.site.name, r.patrolDue, r.overdue, r.measures?.due ?? null])).toEqual([
      ['措施检查逾期', false, true, '已逾期 50 天'],
      ['只差措施检查', false, false, '11月22日前'], // its measures are due before October's patrol
      ['十月巡过', true, false, null],
    ]);
    expect(rows[1].measures?.reason).toMatch(/^管控措施检查到期：/);
    expect(patrolledCount(plan(october, done, measureOnly, overdueMeasures), NOW)).toEqual({ done: 3, total: 4 });
  });

  it('has nothing to show without a cached plan', () => {
    expect(patrolRows(undefined, null, [], [], NOW)).toEqual([]);
    expect(patrolledCount(undefined, NOW)).toEqual({ done: 0, total: 0 });
  });
});

describe('extension on the enterprise home', () => {
  it('states a pending, an approved and a refused extension in local dates', async () => {
    const { extensionText } = await import('./EnterpriseHome');
    const base = { requested_deadline: '2026-12-24T15:59:59+00:00', requested_at: '2026-12-03T02:00:00+00:00',
      after_deadline: false, reason: '检修日清理', decided_at: null, decision_note: null };
    expect(extensionText({ deadline_at: '2026-12-10T15:59:59+00:00', extension: { ...base, state: 'requested' } }))
      .toBe('延期申请待审批：申请延至 2026年12月24日（2026年12月3日 提交）。审批前请按原期限整改。');
    expect(extensionText({ deadline_at: '2026-12-24T15:59:59+00:00', extension: { ...base, state: 'approved',
      decided_at: '2026-12-03T16:30:00+00:00', decision_note: '同意' } }))
      .toBe('延期申请已批准：整改期限延至 2026年12月24日。意见：同意（2026年12月4日 批准）。每项隐患只能申请一次延期。');
    expect(extensionText({ deadline_at: '2026-12-10T15:59:59+00:00', extension: { ...base, state: 'refused',
      decided_at: '2026-12-04T01:00:00+00:00', decision_note: '理由不充分' } }))
      .toBe('延期申请未获批准：理由不充分（2026年12月4日）。请按原期限 2026年12月10日 完成整改。');
    expect(extensionText({ deadline_at: null, extension: null })).toBeNull();
  });
});
