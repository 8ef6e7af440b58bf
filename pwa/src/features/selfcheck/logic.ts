/** 每月自查自报 on the phone, the pure part: the local month, what the page says, and the outbox payload. */
import type { OutboxItem } from '../../db/types';
import { UNSENT_STATES } from '../../outbox/outbox';

export interface MonthInspection { id: number; finished_at: string; finding_count: number; checklist_title: string | null }
export interface MonthFinding {
  id: number; number: string; description: string; level: string; level_label: string; status: string;
  status_label: string; found_at: string;
}
export interface SelfCheckReport {
  id: number; period: string; zero_report: boolean; inspection_count: number; finding_count: number;
  reported_at: string; on_time: boolean; reported_by_name: string | null; note: string | null;
}
export interface SelfCheckMonth {
  site_id: number; site_name: string; period: string; period_label: string; due_label: string;
  inspections: MonthInspection[]; findings: MonthFinding[]; report: SelfCheckReport | null;
  offered: 'report' | 'zero' | null; blocked_reason: string | null;
}

/** 「2026-12」: the calendar month of an instant in Asia/Shanghai (the month people report on). */
export function localPeriod(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .format(now).slice(0, 7);
}

/** The month before: 「2026-01」 → 「2025-12」. */
export function previousPeriod(period: string): string {
  const [year, month] = period.split('-').map(Number);
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

/** 「12月3日 09:30」 in Asia/Shanghai. */
export function localDayTime(iso: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${Number(parts.month)}月${Number(parts.day)}日 ${parts.hour}:${parts.minute}`;
}

/** The selfcheck outbox items of one site and month that are not through yet (queued, sending, needing attention). */
export function pendingReports(items: OutboxItem[], siteId: number, period: string): OutboxItem[] {
  return items.filter((i) => i.kind === 'selfcheck' && Number(i.payload.site_id) === siteId
    && i.payload.period === period && UNSENT_STATES.includes(i.state));
}

/** Self-inspections of the site still on the phone: the month's figures are not complete until they are sent. */
export function unsentInspections(items: OutboxItem[], siteId: number): OutboxItem[] {
  return items.filter((i) => i.kind === 'inspection' && i.siteId === siteId && UNSENT_STATES.includes(i.state));
}

export type MonthState = { key: 'reported' | 'pending' | 'not_reported'; text: string };

/** 未报 / 已报（…） / 已保存待发送, in words, with the counts. */
export function monthState(month: Pick<SelfCheckMonth, 'report' | 'inspections' | 'findings'>, pending: number): MonthState {
  const r = month.report;
  if (r) {
    return { key: 'reported', text: r.zero_report
      ? `已报：本月未发现隐患（自查 ${r.inspection_count} 次）`
      : `已报：自查 ${r.inspection_count} 次，发现隐患 ${r.finding_count} 项` };
  }
  if (pending) return { key: 'pending', text: '已保存到本机，等待发送' };
  return { key: 'not_reported', text: `未报（本月已自查 ${month.inspections.length} 次，发现隐患 ${month.findings.length} 项）` };
}

/** The POST /self-checks body; the outbox id is its client UUID. */
export function reportPayload(id: string, siteId: number, period: string, zero: boolean, now: Date,
  note = ''): Record<string, unknown> {
  return {
    client_uuid: id, site_id: siteId, period, zero_report: zero, reported_at: now.toISOString(),
    ...(note.trim() ? { note: note.trim() } : {}),
  };
}
