import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { newInspectionDraft, updateAnswer } from '../features/inspection/form';
import { deleteDraft, getDraft, listDrafts, saveDraft } from './drafts';
import { closeDBForTests, getDB, withDB } from './schema';
import type { InspectionDraft } from './types';

beforeEach(async () => {
  await closeDBForTests();
  globalThis.indexedDB = new IDBFactory();
});

const make = (id: string): InspectionDraft => newInspectionDraft({
  id, siteId: 7, siteName: '便利店', checklistId: 'fire-small-shop', checklistVersion: '2026.1', checklistTitle: '表',
});
const item = { code: 'A-1', text: '疏散通道畅通', answer: { type: 'compliance' as const },
  hazard: { description: '疏散通道堵塞' } };

describe('drafts', () => {
  it('survives a new connection (a reload) with every answer', async () => {
    let d = make('d-1');
    d = updateAnswer(d, item, { result: '不符合' });
    d = updateAnswer(d, item, { photoIds: ['abc'] });
    await saveDraft(d);
    await closeDBForTests();
    const again = await getDraft('d-1');
    expect(again?.answers['A-1']).toMatchObject({ result: '不符合', finding: '疏散通道堵塞', photoIds: ['abc'] });
  });

  it('keeps the last of a quick burst of edits', async () => {
    let d = make('d-1');
    const writes = [];
    for (const text of ['a', 'ab', 'abc', 'abcd']) {
      d = { ...d, notes: text };
      writes.push(saveDraft(d));
    }
    await Promise.all(writes);
    expect((await getDraft('d-1'))?.notes).toBe('abcd');
  });

  it('lists the most recently saved first, and deletes', async () => {
    await saveDraft(make('old'));
    await new Promise((r) => setTimeout(r, 5));
    await saveDraft(make('new'));
    expect((await listDrafts()).map((d) => d.id)).toEqual(['new', 'old']);
    await deleteDraft('old');
    expect((await listDrafts()).map((d) => d.id)).toEqual(['new']);
  });

  it('reopens a connection the browser closed and retries the write', async () => {
    const db = await getDB();
    db.close();
    await saveDraft(make('after-close'));
    expect(await getDraft('after-close')).toBeDefined();
    expect(await withDB((x) => x.count('drafts'))).toBe(1);
  });

  it('builds the schema through every numbered step', async () => {
    const db = await getDB();
    expect([...db.objectStoreNames].sort()).toEqual(['cache', 'drafts', 'meta', 'outbox', 'photos']);
  });
});
