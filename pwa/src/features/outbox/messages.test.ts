import { describe, expect, it } from 'vitest';
import type { OutboxItem } from '../../db/types';
import { acceptedText } from './messages';

function sent(kind: OutboxItem['kind'], payload: Record<string, unknown>, response: Record<string, unknown>,
  label = 'YH2026000007 · 交办'): OutboxItem {
  return { id: 'x', kind, state: 'sent', label, siteId: 1, payload, photoIds: [], uploadedPhotoIds: [], frozen: true,
    attempts: 0, nextAttemptAt: 0, lastError: null, replaces: null, supersededBy: null, source: null, response,
    createdAt: '', updatedAt: '', sentAt: '' };
}

describe('accepted, in the domain words', () => {
  it('names the 整改通知书 a 交办 produced', () => {
    expect(acceptedText(sent('transition', { action: 'assign' }, { number: 'YH2026000007',
      documents: [{ kind: 'order', number: '责改〔2026〕第0012号' }] })))
      .toBe('YH2026000007：已交办，整改通知书 责改〔2026〕第0012号 已生成。');
  });
  it('says what a 复查 and an extension request did', () => {
    expect(acceptedText(sent('transition', { action: 'verify_pass' }, { number: 'YH2026000007' })))
      .toBe('YH2026000007：复查通过，隐患已销号。');
    expect(acceptedText(sent('transition', { action: 'request_extension' }, {}, 'YH2026000009 · 申请延期')))
      .toBe('YH2026000009：延期申请已提交，等待审批。');
  });
  it('reports the hazards an inspection found, or none', () => {
    expect(acceptedText(sent('inspection', {}, { hazards: [{ number: 'YH2026000011' }] })))
      .toBe('检查记录已保存，发现隐患 YH2026000011。');
    expect(acceptedText(sent('inspection', {}, { hazards: [] }))).toBe('检查记录已保存，未发现隐患。');
    expect(acceptedText(sent('hazard', {}, { number: 'YH2026000012' }))).toBe('隐患已登记，编号 YH2026000012。');
  });
  it('says where a record naming a merged site was recorded', () => {
    expect(acceptedText(sent('inspection', { site_id: 0 }, { hazards: [], site_id: 7, site_name: '阿强烧烤店',
      merged_from_site_id: 31 }))).toBe('检查记录已保存，未发现隐患。该场所已合并，记入「阿强烧烤店」。');
    expect(acceptedText(sent('hazard', { site_id: 31 }, { number: 'YH2026000013', site_id: 7, site_name: '阿强烧烤店' })))
      .toBe('隐患已登记，编号 YH2026000013。该场所已合并，记入「阿强烧烤店」。');
    expect(acceptedText(sent('hazard', { site_id: 7 }, { number: 'YH2026000014', site_id: 7, site_name: '阿强烧烤店' })))
      .toBe('隐患已登记，编号 YH2026000014。');
  });
});
