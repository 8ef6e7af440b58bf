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

/** The reporter's road: 已受理 → 已立案 → 整改中 → 已办结; 不予立案 ends it after the first step. */
export const PROGRESS_STEPS = [
  { status: 'received', label: '已受理' },
  { status: 'accepted', label: '已立案' },
  { status: 'rectifying', label: '整改中' },
  { status: 'closed', label: '已办结' },
] as const;

export type StepState = 'done' | 'current' | 'todo';

export function stepStates(status: string): { status: string; label: string; state: StepState }[] {
  if (status === 'rejected') {
    return [{ status: 'received', label: '已受理', state: 'done' },
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

/** A tracking code as typed or pasted: trimmed, without the spaces a copy from a chat app may add. */
export function cleanCode(text: string): string {
  return text.replace(/\s+/g, '');
}
