/** 风险评价 arithmetic for the form's preview: the same product and bands as the server (config/risk.yaml). */
import type { Band, Method, RiskLevel } from './api';

export const LEVEL_LABELS: Record<RiskLevel, string> = {
  red: '红（重大风险）', orange: '橙（较大风险）', yellow: '黄（一般风险）', blue: '蓝（低风险）',
};
export const LEVEL_COLOURS: Record<RiskLevel, string> = {
  red: '#d62828', orange: '#f77f00', yellow: '#e9c46a', blue: '#3a86ff',
};

export const FACTORS: Record<Method, string[]> = { lec: ['l', 'e', 'c'], matrix: ['l', 's'] };

/** D = L × E × C or R = L × S; null until every factor is chosen. */
export function product(method: Method, values: Record<string, number | undefined>): number | null {
  let result = 1;
  for (const f of FACTORS[method]) {
    const v = values[f];
    if (v === undefined || Number.isNaN(v)) return null;
    result *= v;
  }
  return Math.round(result * 10_000) / 10_000;
}

/** The first band the score reaches ("above" is strict, "min" inclusive), as the server decides. */
export function bandOf(bands: Band[], score: number): Band | null {
  return bands.find((b) => (b.above !== undefined ? score > b.above : score >= (b.min ?? 0))) ?? null;
}

/** The level the assessment will have: a 重大 condition makes it red whatever the score. */
export function previewLevel(bands: Band[], score: number | null, major: boolean): RiskLevel | null {
  if (major) return 'red';
  if (score === null) return null;
  return bandOf(bands, score)?.level ?? null;
}

/** 「2026年12月6日」: the last day before a due instant (a period ends at local midnight, so the day before it). */
export function dueDay(iso: string): string {
  const d = new Date(Date.parse(iso) - 1);
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`;
}
