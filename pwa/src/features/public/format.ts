/** Words and times for the public pages (pure functions, unit-tested). */

/**
 * "2026-11-24 17:00" from the API's ISO time. The API writes times in the city's own zone; showing
 * that wall-clock time as is keeps a deadline the same whatever zone the visitor's phone is set to.
 */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export function localDate(iso: string | null | undefined): string {
  return localTime(iso).slice(0, 10);
}

/**
 * The reporter's road: 已提交 → 已立案 → 整改中 → 已办结; 不予立案 ends it after the first step. It says
 * 已提交 until a person has looked at it and accepted it.
 */
export const PROGRESS_STEPS = [
  { status: 'received', label: '已提交' },
  { status: 'accepted', label: '已立案' },
  { status: 'rectifying', label: '整改中' },
  { status: 'closed', label: '已办结' },
] as const;

export type StepState = 'done' | 'current' | 'todo';

export function stepStates(status: string): { status: string; label: string; state: StepState }[] {
  if (status === 'rejected') {
    return [{ status: 'received', label: '已提交', state: 'done' },
      { status: 'rejected', label: '不予立案', state: 'current' }];
  }
  const at = Math.max(0, PROGRESS_STEPS.findIndex((s) => s.status === status));
  return PROGRESS_STEPS.map((s, i) => ({
    ...s,
    state: i < at || (s.status === 'closed' && status === 'closed') ? 'done' : i === at ? 'current' : 'todo',
  }));
}

/** Mainland mobile numbers as the server takes them: 11 digits from 1[3-9], spaces, dashes and +86 allowed. */
export function plausibleMobile(text: string): boolean {
  const digits = text.replace(/[\s-]/g, '').replace(/^\+?86/, '');
  return /^1[3-9]\d{9}$/.test(digits);
}

/** The 31 symbols of a readable tracking code: no 0/O, 1/I/L look-alikes. */
const READABLE = /^[2-9A-HJKMNP-Z]{13}$/;

/**
 * A tracking code as typed, read out or pasted: without the spaces a chat app may add. A readable code
 * (13 symbols, any case, with or without hyphens) comes back grouped as printed, ABCD-EFGH-JKMNP; a code
 * issued before those is left exactly as typed (it is case-sensitive).
 */
export function cleanCode(text: string): string {
  const trimmed = text.replace(/\s+/g, '');
  const bare = trimmed.replace(/[-－—]/g, '').toUpperCase();
  if (READABLE.test(bare)) return `${bare.slice(0, 4)}-${bare.slice(4, 8)}-${bare.slice(8)}`;
  return trimmed;
}
