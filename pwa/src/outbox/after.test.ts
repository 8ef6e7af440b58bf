import { describe, expect, it } from 'vitest';
import type { OutboxItem } from '../db/types';
import { resolveAfter, waitingText } from './after';

function item(over: Partial<OutboxItem>): OutboxItem {
  return {
    id: 'i', kind: 'inspection', state: 'queued', label: '新店 · 九小场所', siteId: 0, payload: { site_id: 0 },
    photoIds: [], uploadedPhotoIds: [], frozen: false, attempts: 0, nextAttemptAt: 0, lastError: null,
    replaces: null, supersededBy: null, source: null, response: null, createdAt: '', updatedAt: '', sentAt: null,
    ...over,
  };
}

describe('an inspection of a site registered on this phone', () => {
  const site = item({ id: 's', kind: 'site', label: '新增场所 阿强烧烤', payload: { name: '阿强烧烤' } });
  const inspection = item({ after: 's' });

  it('waits while the site is not on the server', () => {
    expect(resolveAfter(inspection, site).ready).toBe(false);
    expect(resolveAfter(inspection, { ...site, state: 'sending' }).ready).toBe(false);
    expect(waitingText(site)).toBe('等待「新增场所 阿强烧烤」先发送');
    expect(waitingText({ ...site, state: 'needs_attention' })).toContain('需要处理');
  });

  it("is sent with the site's server id once the site was accepted", () => {
    const sent = { ...site, state: 'sent' as const, response: { id: 42 } };
    expect(resolveAfter(inspection, sent)).toEqual({ ready: true, payload: { site_id: 42 } });
    expect(inspection.payload.site_id).toBe(0); // the stored payload is not rewritten
    expect(waitingText(sent)).toBeNull();
  });

  it('needs nothing when it follows no item', () => {
    expect(resolveAfter(item({ payload: { site_id: 7 } }), undefined)).toEqual({ ready: true, payload: { site_id: 7 } });
  });
});
