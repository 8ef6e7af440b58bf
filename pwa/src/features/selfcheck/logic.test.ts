import { describe, expect, it } from 'vitest';
import type { OutboxItem } from '../../db/types';
import { localDayTime, localPeriod, monthState, pendingReports, previousPeriod, reportPayload } from './logic';

const item = (over: Partial<OutboxItem>): OutboxItem => ({
  id: 'a', kind: 'selfcheck', state: 'queued', label: '', siteId: 7, payload: { site_id: 7, period: '2026-12' },
  photoIds: [], uploadedPhotoIds: [], frozen: false, attempts: 0, nextAttemptAt: 0, lastError: null, replaces: null,
  supersededBy: null, source: null, response: null, createdAt: '', updatedAt: '', sentAt: null, ...over,
});

describe('每月自查自报', () => {
  it('takes the month in Asia/Shanghai, not the device zone', () => {
    expect(localPeriod(new Date('2026-11-30T16:30:00Z'))).toBe('2026-12'); // 00:30 on 1 December in 杭州
    expect(localPeriod(new Date('2026-12-31T15:59:00Z'))).toBe('2026-12');
    expect(localDayTime('2026-12-03T01:05:00Z')).toBe('12月3日 09:05');
  });

  it('knows the month before, across a year end', () => {
    expect(previousPeriod('2027-01')).toBe('2026-12');
    expect(previousPeriod('2026-12')).toBe('2026-11');
  });

  it('says 未报 / 已报 with the counts', () => {
    const month = { inspections: [{}, {}], findings: [{}], report: null } as never;
    expect(monthState(month, 0)).toEqual({ key: 'not_reported', text: '未报（本月已自查 2 次，发现隐患 1 项）' });
    expect(monthState(month, 1).key).toBe('pending');
    const zero = { inspections: [], findings: [], report: { zero_report: true, inspection_count: 0, finding_count: 0 } } as never;
    expect(monthState(zero, 0).text).toBe('已报：本月未发现隐患（自查 0 次）');
  });

  it('finds the month report waiting in the outbox, and only that one', () => {
    const items = [item({}), item({ id: 'b', state: 'sent' }), item({ id: 'c', payload: { site_id: 8, period: '2026-12' } })];
    expect(pendingReports(items, 7, '2026-12').map((i) => i.id)).toEqual(['a']);
  });

  it('sends the client UUID, the month and whether nothing was found', () => {
    expect(reportPayload('u1', 7, '2026-12', true, new Date('2026-12-03T01:00:00Z'))).toEqual({
      client_uuid: 'u1', site_id: 7, period: '2026-12', zero_report: true, reported_at: '2026-12-03T01:00:00.000Z' });
  });
});
