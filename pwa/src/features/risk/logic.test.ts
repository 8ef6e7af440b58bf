import { describe, expect, it } from 'vitest';
import type { Band } from './api';
import { bandOf, dueDay, previewLevel, product } from './logic';

const LEC: Band[] = [
  { level: 'red', above: 320, label: '' }, { level: 'orange', min: 160, label: '' },
  { level: 'yellow', min: 70, label: '' }, { level: 'blue', min: 0, label: '' },
];

describe('风险评价 preview', () => {
  it('multiplies the chosen factors, and waits for all of them', () => {
    expect(product('lec', { l: 6, e: 6, c: 15 })).toBe(540);
    expect(product('matrix', { l: 4, s: 5 })).toBe(20);
    expect(product('lec', { l: 6, e: 6 })).toBeNull();
  });

  it('uses the bands at their edges as the server does (320 is orange, just above is red)', () => {
    expect(bandOf(LEC, 320)?.level).toBe('orange');
    expect(bandOf(LEC, 320.5)?.level).toBe('red');
    expect(bandOf(LEC, 160)?.level).toBe('orange');
    expect(bandOf(LEC, 70)?.level).toBe('yellow');
    expect(bandOf(LEC, 69)?.level).toBe('blue');
  });

  it('makes a 重大 condition red whatever the score', () => {
    expect(previewLevel(LEC, 9, true)).toBe('red');
    expect(previewLevel(LEC, null, false)).toBeNull();
  });
});

describe('dueDay', () => {
  it('names the last day of a period ending at Shanghai midnight', () => {
    // Monday 7 December 00:00 +08:00: the check is due by Sunday 6 December.
    expect(dueDay('2026-12-07T00:00:00+08:00')).toBe('2026年12月6日');
    expect(dueDay('2027-01-01T00:00:00+08:00')).toBe('2026年12月31日');
  });
});
