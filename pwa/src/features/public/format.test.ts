import { describe, expect, it } from 'vitest';
import { cleanCode, localDate, localTime, plausibleMobile, stepStates } from './format';
import { isPublicOnlyPath, isPublicPath, isQrPath } from './paths';
import { fitWithin } from '../../ui/resize';

describe('public pages: words and times', () => {
  it('shows the city time the API wrote, whatever zone the phone is in', () => {
    expect(localTime('2026-11-24T17:00:00+08:00')).toBe('2026-11-24 17:00');
    expect(localDate('2026-11-24T17:00:00+08:00')).toBe('2026-11-24');
    expect(localTime(null)).toBe('');
  });

  it('walks the reporter through the steps of their report', () => {
    expect(stepStates('received').map((s) => s.state)).toEqual(['current', 'todo', 'todo', 'todo']);
    expect(stepStates('rectifying').map((s) => s.state)).toEqual(['done', 'done', 'current', 'todo']);
    expect(stepStates('closed').map((s) => s.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(stepStates('rejected').map((s) => [s.label, s.state])).toEqual([['已提交', 'done'], ['不予立案', 'current']]);
    expect(stepStates('received')[0].label).toBe('已提交');
  });

  it('accepts the phone numbers the server accepts', () => {
    expect(plausibleMobile('138-1234-5678')).toBe(true);
    expect(plausibleMobile('+86 138 1234 5678')).toBe(true);
    expect(plausibleMobile('12345')).toBe(false);
    expect(plausibleMobile('12812345678')).toBe(false);
    expect(cleanCode(' Ab c-_9 \n')).toBe('Abc-_9');
  });

  it('takes a readable tracking code in any case, with or without hyphens, and groups it as printed', () => {
    expect(cleanCode('abcd efgh jkmnp')).toBe('ABCD-EFGH-JKMNP');
    expect(cleanCode('ABCDEFGHJKMNP')).toBe('ABCD-EFGH-JKMNP');
    expect(cleanCode(' abcd-efgh-jkmnp ')).toBe('ABCD-EFGH-JKMNP');
    // An earlier code (case-sensitive, may hold hyphens) stays exactly as typed.
    expect(cleanCode('Xy-9aB_cD3eF4gH5iJ6kL7mN')).toBe('Xy-9aB_cD3eF4gH5iJ6kL7mN');
  });

  it('knows which addresses are public', () => {
    expect(isQrPath('/s/Qr7token-x')).toBe(true);
    expect(isQrPath('/sites/3')).toBe(false);
    expect(isPublicOnlyPath('/r/abc')).toBe(true);
    expect(isPublicOnlyPath('/exposure')).toBe(true);
    expect(isPublicOnlyPath('/report')).toBe(true);
    expect(isPublicOnlyPath('/enterprise-register')).toBe(true);
    expect(isPublicOnlyPath('/enterprise-register/12-0a1b2c3d4e5f60718293a4b5')).toBe(true);
    expect(isPublicOnlyPath('/enterprise-register/anything')).toBe(false);
    expect(isPublicOnlyPath('/s/abc')).toBe(false);
    expect(isPublicPath('/s/abc')).toBe(true);
    expect(isPublicPath('/')).toBe(false);
    expect(isPublicPath('/login')).toBe(false);
  });

  it('shrinks photos like the field app and never enlarges them', () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(800, 600)).toEqual({ width: 800, height: 600 });
  });
});
