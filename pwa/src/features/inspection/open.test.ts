import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { versionKey } from '../../api/data';
import type { ChecklistVersion } from '../../api/types';
import { putCached } from '../../db/cache';
import { saveDraft } from '../../db/drafts';
import { closeDBForTests } from '../../db/schema';
import { newInspectionDraft, updateAnswer } from './form';
import { openDraft } from './open';
import { firstPassItems, itemCount, itemsThrough } from './sections';

beforeEach(async () => {
  await closeDBForTests();
  globalThis.indexedDB = new IDBFactory();
  vi.unstubAllGlobals();
});

const section = (code: string, n: number) => ({
  code, title: `第${code}部分`,
  items: Array.from({ length: n }, (_, i) => ({ code: `${code}-${i + 1}`, text: '检查项', answer: { type: 'compliance' as const } })),
});
const version: ChecklistVersion = {
  id: 'bench', version: '1', title: '基准', content_hash: 'x', categories: [], domains: [], item_count: 12,
  content: { id: 'bench', title: '基准', version: '1', sections: [section('A', 3), section('B', 4), section('C', 5)] },
};

describe('opening a draft', () => {
  it('reads the draft with its answers and the cached checklist together', async () => {
    let draft = newInspectionDraft({ id: 'd-1', siteId: 1, siteName: '便利店', checklistId: 'bench', checklistVersion: '1',
      checklistTitle: '基准' });
    draft = updateAnswer(draft, version.content.sections[0].items[0], { result: '不符合' });
    await saveDraft(draft);
    await putCached(versionKey('bench', '1'), version, null);
    await closeDBForTests(); // as after a reload
    const opened = await openDraft('d-1');
    expect(opened.draft?.answers['A-1']).toMatchObject({ result: '不符合' });
    expect(opened.content?.sections.map((s) => s.code)).toEqual(['A', 'B', 'C']);
  });

  it('asks the server for a checklist the phone lacks; offline the form says so (content null)', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('offline'))));
    await saveDraft(newInspectionDraft({ id: 'd-2', siteId: 1, siteName: '便利店', checklistId: 'bench',
      checklistVersion: '1', checklistTitle: '基准' }));
    const opened = await openDraft('d-2');
    expect(opened.draft?.id).toBe('d-2');
    expect(opened.content).toBeNull();
    expect(fetch).toHaveBeenCalledOnce();
  });

  it('finds no draft that was submitted or never existed', async () => {
    expect(await openDraft('gone')).toEqual({ draft: null, content: null });
  });
});

describe('rendering a long checklist in steps', () => {
  const sections = version.content.sections; // 3 + 4 + 5 items

  it('renders first a screenful of items, or all of a short checklist', () => {
    expect(itemCount(sections)).toBe(12);
    expect(firstPassItems(sections, 6)).toBe(6);
    expect(firstPassItems(sections, 100)).toBe(12);
    expect(firstPassItems([], 6)).toBe(0);
  });

  it('knows how many items to render before scrolling to one', () => {
    expect(itemsThrough(sections, 'A-1')).toBe(1);
    expect(itemsThrough(sections, 'C-2')).toBe(9);
    expect(itemsThrough(sections, 'Z-1')).toBe(0);
    expect(itemsThrough(sections, null)).toBe(0);
  });
});
