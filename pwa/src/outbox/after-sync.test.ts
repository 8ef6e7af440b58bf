/** The outbox sends a 现场新增场所 before the inspection that names it, with the site's server id. */
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../api/http';
import type { SubmissionApi } from '../api/submissions';
import { closeDBForTests } from '../db/schema';
import * as outbox from './outbox';
import { flushOnce } from './sync';

beforeEach(async () => {
  await closeDBForTests();
  globalThis.indexedDB = new IDBFactory();
});

function server(refuseSiteOnce = false) {
  const submitted: { kind: string; payload: Record<string, unknown> }[] = [];
  let refuse = refuseSiteOnce;
  const api: SubmissionApi = {
    photoExists: async () => true,
    uploadPhoto: async (sha) => sha,
    async submit(kind, payload) {
      if (kind === 'site' && refuse) {
        refuse = false;
        throw new HttpError(422, { status: 422, detail: '统一社会信用代码有误' });
      }
      submitted.push({ kind, payload });
      return kind === 'site' ? { id: 501 } : { id: 9 };
    },
  };
  return { api, submitted };
}

async function queueSiteAndInspection(now: number) {
  await outbox.enqueue({ id: 'site-1', kind: 'site', label: '新增场所 阿强烧烤', siteId: null,
    payload: { client_uuid: 'site-1', name: '阿强烧烤' }, photoIds: [] }, now);
  await outbox.enqueue({ id: 'insp-1', kind: 'inspection', label: '阿强烧烤 · 九小场所', siteId: 0,
    payload: { client_uuid: 'insp-1', site_id: 0 }, photoIds: [], after: 'site-1' }, now + 1);
}

describe('an inspection of a site registered offline', () => {
  it('goes out after the site, naming its server id', async () => {
    await queueSiteAndInspection(1000);
    const { api, submitted } = server();
    expect(await flushOnce({ api, now: () => 5000 })).toMatchObject({ sent: 2 });
    expect(submitted).toEqual([
      { kind: 'site', payload: { client_uuid: 'site-1', name: '阿强烧烤' } },
      { kind: 'inspection', payload: { client_uuid: 'insp-1', site_id: 501 } },
    ]);
    expect((await outbox.getItem('insp-1'))!.payload.site_id).toBe(0); // the stored payload is untouched
  });

  it('waits, still queued, while the site is refused, and follows the corrected site', async () => {
    await queueSiteAndInspection(1000);
    const { api, submitted } = server(true);
    expect(await flushOnce({ api, now: () => 5000 })).toMatchObject({ sent: 0, failed: 1 });
    const waiting = (await outbox.getItem('insp-1'))!;
    expect(waiting.state).toBe('queued');
    expect(waiting.attempts).toBe(0);
    expect(waiting.nextAttemptAt).toBeGreaterThan(5000); // looked at again later, not in a tight loop
    const refused = (await outbox.getItem('site-1'))!;
    await outbox.enqueue({ id: 'site-2', kind: 'site', label: refused.label, siteId: null,
      payload: { ...refused.payload, client_uuid: 'site-2' }, photoIds: [], replaces: 'site-1' }, 6000);
    await outbox.makeAllDue(7000);
    expect(await flushOnce({ api, now: () => 7000 })).toMatchObject({ sent: 2 });
    expect(submitted.map((s) => [s.kind, s.payload.site_id ?? null])).toEqual([['site', null], ['inspection', 501]]);
  });
});
