import { describe, expect, it } from 'vitest';
import type { Site } from '../../api/types';
import { checkCharacter, checkCreditCode, mergeSuggestions, nameSimilarity, possibleDuplicates } from './field';

const site = (id: number, name: string, lat: number | null, lng: number | null): Site =>
  ({ id, name, address: '', grid_id: 1, category: 'small_shop', domains: [], lat, lng });

describe('possible duplicates of a new site', () => {
  const cached = [
    site(1, '阿强烧烤店', 30.3102, 120.1503),
    site(2, '兴旺便利店', 30.3104, 120.1501),
    site(3, '远处的茶馆', 30.35, 120.19),
    site(4, '阿强烧烤（二店）', null, null),
  ];

  it('suggests the same or a similar name first, then anything within 80 m', () => {
    const found = possibleDuplicates(cached, '阿强烧烤', { lat: 30.3101, lng: 120.1502 });
    expect(found.map((s) => s.site.id)).toEqual([1, 4, 2]);
    expect(found[0].reason).toMatch(/^名称相同或相近，相距约 \d+ 米$/);
    expect(found[2].reason).toMatch(/^相距约 \d+ 米$/);
  });

  it('without a position it compares names only', () => {
    expect(possibleDuplicates(cached, '阿强烧烤', null).map((s) => s.site.id)).toEqual([1, 4]);
  });

  it("puts the server's answer first and keeps the cached ones it did not name", () => {
    const local = possibleDuplicates(cached, '阿强烧烤', null);
    const server = [{ site: site(9, '阿强烧烤总店', null, null), distance_m: null, same_name: true, reason: '名称相同或相近' }];
    expect(mergeSuggestions(server, local).map((s) => s.site.id)).toEqual([9, 1, 4]);
    expect(mergeSuggestions(null, local)).toBe(local);
  });

  it('ignores legal-form words when comparing names', () => {
    expect(nameSimilarity('杭州嘉诚纺织有限公司', '杭州嘉诚纺织')).toBe(1);
    expect(nameSimilarity('兴旺便利店', '阿强烧烤')).toBeLessThan(0.6);
  });
});

describe('统一社会信用代码 on the phone', () => {
  it('computes the GB/T 17710 check character', () => {
    expect(checkCharacter('91310110666007217')).toBe('T');
  });

  it('accepts empty and valid codes, refuses a wrong length and flags a failed check', () => {
    expect(checkCreditCode('')).toEqual({ ok: true, code: '' });
    expect(checkCreditCode('91310110666007217t')).toEqual({ ok: true, code: '91310110666007217T' });
    expect(checkCreditCode('9131011066600721')).toMatchObject({ ok: false, checkFailed: false });
    expect(checkCreditCode('91310110666007217A')).toMatchObject({ ok: false, checkFailed: true });
  });
});
