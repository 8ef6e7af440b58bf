import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpError, NetworkError } from '../api/http';
import type { SubmissionApi } from '../api/submissions';
import { getDraft, saveDraft } from '../db/drafts';
import { putPhoto } from '../db/photos';
import { closeDBForTests } from '../db/schema';
import type { OutboxItem } from '../db/types';
import { newInspectionDraft } from '../features/inspection/form';
import * as outbox from './outbox';
import { flushOnce, sendItem } from './sync';

beforeEach(async () => {
  await closeDBForTests();
  globalThis.indexedDB = new IDBFactory();
});

const problem = (status: number, detail: string, errors?: { field: string; message: string }[]) =>
  new HttpError(status, { status, detail, errors });

/** A scripted server: each call takes the next outcome (an error to throw, or a value). */
function fakeApi(script: { exists?: boolean[]; upload?: unknown[]; submit?: unknown[] } = {}) {
  const calls: string[] = [];
  const take = (list: unknown[] | undefined, fallback: unknown) => {
    const next = list && list.length ? list.shift() : fallback;
    if (next instanceof Error) throw next;
    return next;
  };
  const api: SubmissionApi = {
    async photoExists(sha) {
      calls.push(`head:${sha}`);
      return take(script.exists, false) as boolean;
    },
    async uploadPhoto(sha) {
      calls.push(`upload:${sha}`);
      take(script.upload, sha);
      return sha;
    },
    async submit(kind, payload) {
      calls.push(`submit:${kind}:${payload.client_uuid}`);
      return take(script.submit, { id: 1, client_uuid: payload.client_uuid }) as Record<string, unknown>;
    },
  };
  return { api, calls };
}

async function addPhoto(id: string) {
  await putPhoto({ id, blob: new Blob([id], { type: 'image/jpeg' }), type: 'image/jpeg', size: 1, width: 1,
    height: 1, capturedAt: new Date().toISOString(), position: null, createdAt: new Date().toISOString() });
}

async function queue(id = 'u-1', photoIds: string[] = []): Promise<OutboxItem> {
  for (const p of photoIds) await addPhoto(p);
  return outbox.enqueue({ id, kind: 'inspection', label: '测试', siteId: 1, photoIds,
    payload: { client_uuid: id, answers: [] } });
}

const state = async (id: string) => (await outbox.getItem(id))!;

describe('transition', () => {
  const base = { state: 'queued', frozen: false } as OutboxItem;

  it('follows the table and refuses anything else', () => {
    expect(outbox.transition(base, 'start').state).toBe('sending');
    expect(() => outbox.transition(base, 'accepted')).toThrow(outbox.IllegalTransition);
    expect(() => outbox.transition({ ...base, state: 'acknowledged' }, 'start')).toThrow();
  });

  it('refuses to edit a frozen item', () => {
    expect(() => outbox.transition({ ...base, frozen: true }, 'edit')).toThrow(/frozen/);
    expect(outbox.allowedEvents({ ...base, frozen: true })).not.toContain('edit');
  });
});

describe('enqueue', () => {
  it('queues the item and removes its draft in the same write', async () => {
    const draft = newInspectionDraft({ id: 'd-1', siteId: 1, siteName: '店', checklistId: 'c', checklistVersion: '1',
      checklistTitle: '表' });
    await saveDraft(draft);
    const item = await outbox.enqueue({ id: 'd-1', kind: 'inspection', label: 'x', siteId: 1, photoIds: [],
      payload: {}, source: draft });
    expect(item.state).toBe('queued');
    expect(await getDraft('d-1')).toBeUndefined();
    await expect(outbox.enqueue({ id: 'd-1', kind: 'inspection', label: 'x', siteId: 1, photoIds: [], payload: {} }))
      .rejects.toThrow(outbox.IllegalTransition);
  });
});

describe('sending', () => {
  it('uploads photos first, skipping those the server has, then the item', async () => {
    await queue('u-1', ['aaa', 'bbb']);
    const { api, calls } = fakeApi({ exists: [true, false] });
    expect(await flushOnce({ api })).toMatchObject({ sent: 1, stoppedBy: 'done' });
    expect(calls).toEqual(['head:aaa', 'head:bbb', 'upload:bbb', 'submit:inspection:u-1']);
    const item = await state('u-1');
    expect(item.state).toBe('sent');
    expect(item.response).toMatchObject({ id: 1 });
    await outbox.acknowledge('u-1');
    expect((await state('u-1')).state).toBe('acknowledged');
  });

  it.each([
    ['a network error', new NetworkError()],
    ['a 500', problem(500, '服务器内部错误')],
    ['a 503', problem(503, '服务暂不可用')],
    ['a 429', problem(429, '请求过于频繁')],
  ])('retries after %s, keeping the item queued', async (_name, error) => {
    await queue();
    const { api } = fakeApi({ submit: [error] });
    expect(await sendItem(await state('u-1'), { api, now: () => 1000, random: () => 0.5 })).toBe('retry');
    const item = await state('u-1');
    expect(item.state).toBe('queued');
    expect(item.attempts).toBe(1);
    expect(item.nextAttemptAt).toBeGreaterThan(1000);
  });

  it('never gives up: fifty failures later the item is still queued and scheduled', async () => {
    await queue();
    let now = 0;
    for (let i = 0; i < 50; i++) {
      const { api } = fakeApi({ submit: [new NetworkError()] });
      now = (await state('u-1')).nextAttemptAt;
      expect(await flushOnce({ api, now: () => now })).toMatchObject({ stoppedBy: 'network' });
    }
    const item = await state('u-1');
    expect(item.state).toBe('queued');
    expect(item.attempts).toBe(50);
    expect(item.nextAttemptAt - now).toBeLessThanOrEqual(10 * 60 * 1000);
    const { api } = fakeApi();
    expect(await flushOnce({ api, now: () => item.nextAttemptAt })).toMatchObject({ sent: 1 });
  });

  it('backs off with jitter and caps the delay, not the attempts', () => {
    expect(outbox.backoffMs(1, () => 0)).toBe(1000);
    expect(outbox.backoffMs(1, () => 1)).toBe(2000);
    expect(outbox.backoffMs(4, () => 1)).toBe(16000);
    expect(outbox.backoffMs(1000, () => 1)).toBe(600000);
    expect(outbox.backoffMs(1000, () => 0)).toBe(300000);
  });

  it('pauses on 401 without counting an attempt, and resumes after login', async () => {
    await queue('u-1');
    await queue('u-2');
    const { api, calls } = fakeApi({ submit: [problem(401, '请先登录。')] });
    expect(await flushOnce({ api })).toMatchObject({ stoppedBy: 'auth' });
    expect(calls).toEqual(['submit:inspection:u-1']);
    const item = await state('u-1');
    expect(item).toMatchObject({ state: 'queued', attempts: 0 });
    expect(item.lastError?.status).toBe(401);
    const after = fakeApi();
    expect(await flushOnce({ api: after.api })).toMatchObject({ sent: 2 });
  });

  it.each([
    [409, '同一编号的记录内容不同。', undefined],
    [422, '提交的数据有误：取值应为以下之一：符合、不符合、不涉及。', [{ field: 'answers.0.result', message: '取值应为以下之一：符合、不符合、不涉及。' }]],
  ])('puts a %s in needs-attention with the server message', async (status, detail, errors) => {
    await queue();
    const { api } = fakeApi({ submit: [problem(status, detail, errors)] });
    expect(await flushOnce({ api })).toMatchObject({ failed: 1, stoppedBy: 'done' });
    const item = await state('u-1');
    expect(item.state).toBe('needs_attention');
    expect(item.lastError).toMatchObject({ status, detail, errors });
    // Resending unchanged is allowed (same UUID, so no duplicate is possible).
    await outbox.resend('u-1');
    expect((await state('u-1')).state).toBe('queued');
  });

  it('freezes an item once a photo reached the server; an edit becomes a revision naming it', async () => {
    await queue('u-1', ['aaa']);
    const { api } = fakeApi({ submit: [problem(422, '数据校验失败')] });
    await flushOnce({ api });
    const old = await state('u-1');
    expect(old).toMatchObject({ state: 'needs_attention', frozen: true, uploadedPhotoIds: ['aaa'] });
    await expect(outbox.reopenForEdit('u-1')).rejects.toThrow(/frozen/);

    const revision = await outbox.enqueue({ id: 'u-2', kind: 'inspection', label: '改', siteId: 1, photoIds: ['aaa'],
      payload: { client_uuid: 'u-2' }, replaces: 'u-1' });
    expect(revision).toMatchObject({ state: 'queued', replaces: 'u-1' });
    expect(await state('u-1')).toMatchObject({ state: 'superseded', supersededBy: 'u-2' });
    expect(await outbox.listItems()).toHaveLength(2);
  });

  it('freezes an item whose request may have left, even if the answer was lost', async () => {
    await queue();
    const { api } = fakeApi({ submit: [new NetworkError()] });
    await flushOnce({ api });
    expect(await state('u-1')).toMatchObject({ state: 'queued', frozen: true });
  });

  it('lets an item rejected before anything reached the server be edited under the same UUID', async () => {
    await queue('u-1', ['aaa']);
    const { api } = fakeApi({ exists: [problem(403, '无权操作') as unknown as boolean] });
    await flushOnce({ api });
    expect(await state('u-1')).toMatchObject({ state: 'needs_attention', frozen: false });
    await outbox.reopenForEdit('u-1');
    const edited = await outbox.enqueue({ id: 'u-1', kind: 'inspection', label: '改', siteId: 1, photoIds: [],
      payload: { client_uuid: 'u-1', notes: '改过' } });
    expect(edited).toMatchObject({ state: 'queued', payload: { notes: '改过' } });
  });

  it('keeps an item whose photo is missing locally, asking the user', async () => {
    await outbox.enqueue({ id: 'u-1', kind: 'hazard', label: 'x', siteId: 1, photoIds: ['gone'], payload: {} });
    const { api } = fakeApi({ exists: [false] });
    await flushOnce({ api });
    expect(await state('u-1')).toMatchObject({ state: 'needs_attention', frozen: false });
    await outbox.reopenForEdit('u-1');
    expect((await state('u-1')).state).toBe('draft');
  });

  it('returns items left "sending" by a killed tab to the queue', async () => {
    await queue();
    await outbox.markSending('u-1');
    expect(await outbox.recoverInterrupted()).toBe(1);
    expect((await state('u-1')).state).toBe('queued');
  });

  it('never drops an item, whatever the server answers', async () => {
    const answers = [new NetworkError(), problem(500, 'x'), problem(401, 'x'), problem(409, 'x'), problem(422, 'x'),
      problem(404, 'x'), problem(400, 'x'), new Error('bug'), { id: 9 }];
    for (let i = 0; i < answers.length; i++) await queue(`u-${i}`, [`p${i}`]);
    for (let round = 0; round < answers.length; round++) {
      const { api } = fakeApi({ submit: [answers[round]] });
      await outbox.makeAllDue(0);
      await flushOnce({ api, now: () => 0 });
    }
    const items = await outbox.listItems();
    expect(items).toHaveLength(answers.length);
    expect(items.every((i) => ['queued', 'sent', 'needs_attention'].includes(i.state))).toBe(true);
  });
});
