import { describe, expect, it } from 'vitest';
import { groupByDay, kindLabel, linkFor, localDay, markedRead, type Notice } from './logic';

const notice = (id: number, created_at: string, extra: Partial<Notice> = {}): Notice => ({
  id, kind: 'hazard.assign', title: `第${id}条`, body: '', hazard_id: 7, created_at, read_at: null, ...extra,
});

describe('inbox grouping', () => {
  it('groups by the Shanghai calendar day, not the UTC one', () => {
    // 2026-12-02 17:30 UTC is already 12月3日 01:30 in Shanghai.
    expect(localDay('2026-12-02T17:30:00Z')).toBe('2026-12-03');
  });

  it('labels today and yesterday and names older days in Chinese', () => {
    const now = new Date('2026-12-03T04:00:00Z');
    const groups = groupByDay([
      notice(3, '2026-12-03T01:00:00Z'), notice(2, '2026-12-02T09:00:00Z'), notice(1, '2026-11-30T09:00:00Z'),
    ], now);
    expect(groups.map((g) => g.label)).toEqual(['今天', '昨天', '11月30日周一']);
    expect(groups.map((g) => g.items.map((n) => n.id))).toEqual([[3], [2], [1]]);
  });
});

describe('where a notice leads', () => {
  it('opens the hazard it is about', () => {
    expect(linkFor(notice(1, '2026-12-03T01:00:00Z'), false)).toBe('/hazards/7');
  });
  it('opens the triage queue for a report rung, for staff of the console only', () => {
    const n = notice(1, '2026-12-03T01:00:00Z', { kind: 'report.street', hazard_id: null });
    expect(linkFor(n, true)).toBe('/console/reports');
    expect(linkFor(n, false)).toBeNull();
  });
});

describe('kinds and marking', () => {
  it('names kinds in domain words', () => {
    expect(kindLabel('hazard.assign')).toBe('交办');
    expect(kindLabel('escalation.district')).toBe('逾期督办');
    expect(kindLabel('something.new')).toBe('消息');
  });
  it('marks only unread notices read', () => {
    const items = [notice(1, '2026-12-03T01:00:00Z'), notice(2, '2026-12-03T01:00:00Z', { read_at: 'earlier' })];
    expect(markedRead(items, 'all', 'now').map((n) => n.read_at)).toEqual(['now', 'earlier']);
    expect(markedRead(items, new Set([2]), 'now').map((n) => n.read_at)).toEqual([null, 'earlier']);
  });
});
