import { describe, expect, it } from 'vitest';
import { recentPeriods } from './SelfCheckFiguresPage';

describe('企业自查自报 month picker', () => {
  it('lists the current month and those before it, across a year end', () => {
    expect(recentPeriods('2026-02', 4)).toEqual(['2026-02', '2026-01', '2025-12', '2025-11']);
    expect(recentPeriods('2026-12')).toHaveLength(12);
  });
});
