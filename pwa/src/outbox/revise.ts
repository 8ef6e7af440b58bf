/** Correcting or giving up a refused outbox item: what would be lost, which fields can be corrected, the revision. */
import type { OutboxItem } from '../db/types';
import type { EnqueueInput } from './outbox';

const KIND_WORDS: Record<OutboxItem['kind'], string> = { inspection: '检查记录', hazard: '随手拍隐患', transition: '隐患处理',
  selfcheck: '月度自查自报', site: '新增场所' };

/** The payload key that carries the item's UUID (the server's idempotency key). */
export function idKey(item: Pick<OutboxItem, 'kind'>): 'client_uuid' | 'client_event_id' {
  return item.kind === 'transition' ? 'client_event_id' : 'client_uuid';
}

/**
 * 「将放弃检查记录「某店 · 消防检查表」：12 项作答，其中 2 项不符合，3 张照片。」 — the sentence the confirmation shows,
 * so the user knows exactly what is given up.
 */
export function lossDescription(item: OutboxItem): string {
  const parts: string[] = [];
  if (item.kind === 'inspection') {
    const answers = (item.payload.answers as { result?: string; finding?: string }[] | undefined) ?? [];
    const findings = answers.filter((a) => (a.finding ?? '').trim()).length;
    parts.push(`${answers.length} 项作答${findings ? `，其中 ${findings} 项不符合` : ''}`);
  } else {
    const text = ['description', 'measures', 'reason', 'note'].map((k) => item.payload[k])
      .find((v): v is string => typeof v === 'string' && v.trim() !== '');
    if (text) parts.push(`「${text.length > 30 ? `${text.slice(0, 30)}…` : text}」`);
  }
  if (item.photoIds.length) parts.push(`${item.photoIds.length} 张照片`);
  return `将放弃${KIND_WORDS[item.kind]}「${item.label}」${parts.length ? `：${parts.join('，')}` : ''}。`;
}

export interface EditableField {
  name: string;
  label: string;
  kind: 'text' | 'textarea' | 'date' | 'number';
}

/** Fields of a 随手拍 or a workflow step the outbox can correct in place, in display order. */
const FIELDS: EditableField[] = [
  { name: 'description', label: '隐患描述', kind: 'textarea' },
  { name: 'measures', label: '整改措施', kind: 'textarea' },
  { name: 'reason', label: '延期理由', kind: 'textarea' },
  { name: 'requested_deadline', label: '申请延至', kind: 'date' },
  { name: 'deadline', label: '整改期限', kind: 'date' },
  { name: 'cost', label: '整改资金（元）', kind: 'number' },
  { name: 'responsible_person', label: '整改责任人', kind: 'text' },
  { name: 'authority', label: '督办机关', kind: 'text' },
  { name: 'requirements', label: '督办要求', kind: 'textarea' },
  { name: 'note', label: '说明', kind: 'textarea' },
];

/** The correctable fields present in this item's payload (a refused step may lack an optional one: offer 说明). */
export function editableFields(item: OutboxItem): EditableField[] {
  if (item.kind === 'inspection') return [];
  const present = FIELDS.filter((f) => f.name in item.payload);
  if (item.kind === 'transition' && !present.some((f) => f.name === 'note')) {
    present.push(FIELDS.find((f) => f.name === 'note')!);
  }
  return present;
}

/**
 * The corrected item: a new UUID (the refused one may have partly reached the server), the same photos, the
 * corrected fields; it names the item it replaces, which enqueue then marks superseded.
 */
export function revision(item: OutboxItem, values: Record<string, string>, newId: string): EnqueueInput {
  const payload: Record<string, unknown> = { ...item.payload, [idKey(item)]: newId };
  for (const field of editableFields(item)) {
    if (!(field.name in values)) continue;
    const text = values[field.name].trim();
    if (text === '') delete payload[field.name];
    else payload[field.name] = field.kind === 'number' ? Number(text) : text;
  }
  return {
    id: newId, kind: item.kind, label: item.label, siteId: item.siteId, payload, photoIds: [...item.photoIds],
    source: item.source, replaces: item.id,
  };
}
