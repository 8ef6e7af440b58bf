/**
 * Ordering between outbox items: an item may name another it must follow (`after`), e.g. an inspection of a
 * 现场新增场所 registered on this phone. It is sent only once that item is on the server, with the site's
 * server id put into its payload at send time (the stored payload, frozen or not, is never rewritten).
 */
import type { OutboxItem } from '../db/types';

export interface Resolved {
  ready: boolean;
  payload: Record<string, unknown>;
}

/** Whether `item` may be sent now, given the item it follows (undefined: not on this phone), and what to send. */
export function resolveAfter(item: OutboxItem, before: OutboxItem | undefined): Resolved {
  if (!item.after) return { ready: true, payload: item.payload };
  // Gone from this phone (e.g. imported elsewhere): the payload must already carry a real id.
  if (!before) return { ready: Number(item.payload.site_id) > 0, payload: item.payload };
  const sent = before.state === 'sent' || before.state === 'acknowledged';
  const id = Number(before.response?.id);
  if (!sent || !(id > 0)) return { ready: false, payload: item.payload };
  return { ready: true, payload: { ...item.payload, site_id: id } };
}

/** Words for an item still waiting for the one it follows (the outbox list shows them). */
export function waitingText(before: OutboxItem | undefined): string | null {
  if (!before || before.state === 'sent' || before.state === 'acknowledged') return null;
  if (before.state === 'needs_attention') return `等待「${before.label}」先发送成功（该记录需要处理）`;
  return `等待「${before.label}」先发送`;
}
