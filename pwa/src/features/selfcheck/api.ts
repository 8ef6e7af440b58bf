/** 每月自查自报: the month read from the server (kept for offline reading) and the report queued in the outbox. */
import { apiPath, request } from '../../api/http';
import { getCached, putCached } from '../../db/cache';
import type { CacheEntry } from '../../db/types';
import { enqueue } from '../../outbox/outbox';
import { reportPayload, type SelfCheckMonth } from './logic';

const monthKey = (siteId: number, period: string): string => `selfcheck:${siteId}:${period}`;

export function cachedMonth(siteId: number, period: string): Promise<CacheEntry<SelfCheckMonth> | undefined> {
  return getCached<SelfCheckMonth>(monthKey(siteId, period));
}

export async function refreshMonth(siteId: number, period: string): Promise<CacheEntry<SelfCheckMonth>> {
  const res = await request<SelfCheckMonth>('GET', apiPath(`/self-checks/sites/${siteId}?period=${period}`));
  return putCached(monthKey(siteId, period), res.data as SelfCheckMonth, res.etag);
}

/** Queue the month's report (sent in order after any self-inspection still on the phone); returns its id. */
export async function queueReport(month: SelfCheckMonth, zero: boolean, note = ''): Promise<string> {
  const id = crypto.randomUUID();
  await enqueue({
    id, kind: 'selfcheck', label: `${month.site_name} · ${month.period_label}${zero ? '自查自报（本月未发现隐患）' : '自查自报'}`,
    siteId: month.site_id, payload: reportPayload(id, month.site_id, month.period, zero, new Date(), note), photoIds: [],
  });
  return id;
}
