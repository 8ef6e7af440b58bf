import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../api/http';
import type { SubmissionApi } from '../api/submissions';
import { putPhoto } from '../db/photos';
import { closeDBForTests } from '../db/schema';
import { buildExport } from '../features/outbox/transfer';
import * as outbox from './outbox';
import { editableFields, lossDescription, revision } from './revise';
import { flushOnce } from './sync';

beforeEach(async () => {
  await closeDBForTests();
  globalThis.indexedDB = new IDBFactory();
});

/** A server that refuses every submission with ``status`` once, then accepts. */
function refusingOnce(status: number, detail: string): { api: SubmissionApi; sent: Record<string, unknown>[] } {
  const sent: Record<string, unknown>[] = [];
  let refused = false;
  return {
    sent,
    api: {
      photoExists: async () => true,
      uploadPhoto: async (sha) => sha,
      async submit(_kind, payload) {
        sent.push(payload);
        if (!refused) {
          refused = true;
          throw new HttpError(status, { status, detail });
        }
        return { id: 7 };
      },
    },
  };
}

async function addPhoto(id: string) {
  await putPhoto({ id, blob: new Blob([id], { type: 'image/jpeg' }), type: 'image/jpeg', size: 1, width: 1,
    height: 1, capturedAt: new Date().toISOString(), position: null, createdAt: new Date().toISOString() });
}

const unsent = async () => (await outbox.listUnsent()).length;

describe('a step refused for a business reason', () => {
  it.each([403, 409, 422])('is refused for its content on %s, so resending unchanged is not offered', async (status) => {
    await outbox.enqueue({ id: 's-1', kind: 'transition', label: 'Y2026-0001 · 申请延期', siteId: 1, photoIds: [],
      payload: { hazard_id: 1, action: 'request_extension', client_event_id: 's-1', reason: '材料未到' } });
    await flushOnce({ api: refusingOnce(status, '该隐患已有延期申请。').api });
    const item = (await outbox.getItem('s-1'))!;
    expect(item.state).toBe('needs_attention');
    expect(outbox.refusedForContent(item)).toBe(true);
  });

  it('is not called a content refusal when the network or the server failed', async () => {
    await outbox.enqueue({ id: 's-1', kind: 'hazard', label: 'x', siteId: 1, photoIds: [], payload: {} });
    await flushOnce({ api: refusingOnce(400, '请求格式错误').api });
    expect(outbox.refusedForContent((await outbox.getItem('s-1'))!)).toBe(false);
  });

  it('is corrected and resent as a new item with its own id that replaces it; the count drops to one', async () => {
    await outbox.enqueue({ id: 's-1', kind: 'transition', label: 'Y2026-0001 · 申请延期', siteId: 1, photoIds: [],
      payload: { hazard_id: 1, action: 'request_extension', client_event_id: 's-1', reason: '材料未到',
        requested_deadline: '2026-11-01' } });
    const server = refusingOnce(422, '申请的期限须晚于现期限。');
    await flushOnce({ api: server.api });
    const refused = (await outbox.getItem('s-1'))!;
    expect(editableFields(refused).map((f) => f.label)).toEqual(['延期理由', '申请延至', '说明']);

    await outbox.enqueue(revision(refused, { reason: '材料未到，供应商延迟', requested_deadline: '2026-12-20',
      note: '' }, 's-2'));
    expect(await unsent()).toBe(1);
    expect((await outbox.getItem('s-1'))!).toMatchObject({ state: 'superseded', supersededBy: 's-2' });
    expect(await flushOnce({ api: server.api })).toMatchObject({ sent: 1 });
    expect(server.sent[1]).toEqual({ hazard_id: 1, action: 'request_extension', client_event_id: 's-2',
      reason: '材料未到，供应商延迟', requested_deadline: '2026-12-20' });
    expect(await unsent()).toBe(0);
  });

  it('keeps the same photos when a 随手拍 is corrected, under a new client uuid', async () => {
    const item = { id: 'h-1', kind: 'hazard' as const, label: '某店 · 电线', siteId: 3, photoIds: ['p1'],
      payload: { client_uuid: 'h-1', site_id: 3, description: '电线', photo_ids: ['p1'] } };
    await addPhoto('p1');
    await outbox.enqueue(item);
    await flushOnce({ api: refusingOnce(403, '无权在该场所登记隐患。').api });
    const refused = (await outbox.getItem('h-1'))!;
    const fixed = revision(refused, { description: '配电箱电线裸露' }, 'h-2');
    expect(fixed).toMatchObject({ id: 'h-2', replaces: 'h-1', photoIds: ['p1'],
      payload: { client_uuid: 'h-2', description: '配电箱电线裸露', photo_ids: ['p1'], site_id: 3 } });
  });
});

describe('discarding', () => {
  it('names what will be lost', async () => {
    await outbox.enqueue({ id: 'i-1', kind: 'inspection', label: '某店 · 消防检查', siteId: 1, photoIds: ['a', 'b'],
      payload: { client_uuid: 'i-1', answers: [{ result: '符合', finding: '' }, { result: '不符合', finding: '灭火器过期' },
        { result: '不涉及', finding: '' }] } });
    const item = (await outbox.getItem('i-1'))!;
    expect(lossDescription(item)).toBe('将放弃检查记录「某店 · 消防检查」：3 项作答，其中 1 项不符合，2 张照片。');
    const step = { ...item, kind: 'transition' as const, label: 'Y2026-0003 · 报告整改完成', photoIds: [],
      payload: { measures: '已更换灭火器' } };
    expect(lossDescription(step)).toBe('将放弃隐患处理「Y2026-0003 · 报告整改完成」：「已更换灭火器」。');
  });

  it('leaves the count and is never sent, but stays on the phone and in the export', async () => {
    await addPhoto('p1');
    await outbox.enqueue({ id: 'i-1', kind: 'hazard', label: 'x', siteId: 1, photoIds: ['p1'],
      payload: { client_uuid: 'i-1' } });
    const server = refusingOnce(409, '冲突');
    await flushOnce({ api: server.api });
    expect(await unsent()).toBe(1);

    await outbox.discard('i-1');
    expect(await unsent()).toBe(0);
    expect((await outbox.getItem('i-1'))!.state).toBe('discarded');
    await outbox.makeAllDue(0);
    expect(await flushOnce({ api: server.api })).toMatchObject({ sent: 0 });
    expect(server.sent).toHaveLength(1);

    const file = await buildExport(null);
    expect(file.items.map((i) => [i.id, i.state])).toEqual([['i-1', 'discarded']]);
    expect(file.photos.map((p) => p.id)).toEqual(['p1']);
  });

  it('is offered only for an item that needs attention', async () => {
    await outbox.enqueue({ id: 'i-1', kind: 'hazard', label: 'x', siteId: 1, photoIds: [], payload: {} });
    await expect(outbox.discard('i-1')).rejects.toThrow(/cannot discard from queued/);
  });
});
