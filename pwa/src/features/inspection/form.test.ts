import { describe, expect, it } from 'vitest';
import type { ChecklistContent } from '../../api/types';
import {
  answerRestCompliant, answerRestNotApplicable, isFailed, isNotApplicable, isoWithOffset, mayBeMajor,
  newInspectionDraft, photoIdsOf, toPayload, unansweredCount, unansweredItems, updateAnswer, validate,
} from './form';
import { fitWithin } from '../../ui/resize';

const content: ChecklistContent = {
  id: 'fire-small-shop', title: '小商店消防安全检查表', version: '2026.1',
  sections: [
    { code: 'A', title: '安全疏散', items: [
      { code: 'A-1', text: '疏散通道畅通', answer: { type: 'compliance' }, photo_required_on_fail: true,
        hazard: { description: '疏散通道被货物堵塞', level: '一般' } },
      { code: 'A-2', text: '应急照明完好', answer: { type: 'compliance' } },
    ] },
    { code: 'B', title: '数值与选项', items: [
      { code: 'B-1', text: '作业人数', answer: { type: 'number', unit: '人', max: 9 },
        hazard: { description: '作业人数超过9人' } },
      { code: 'B-2', text: '灭火器压力', answer: { type: 'choice', options: [
        { value: 'green', label: '绿区', compliant: true }, { value: 'red', label: '红区', compliant: false }] } },
    ] },
  ],
};
const [a1, a2] = content.sections[0].items;
const [b1, b2] = content.sections[1].items;
const fresh = () => newInspectionDraft({ id: 'uuid-1', siteId: 3, siteName: '便利店', checklistId: content.id,
  checklistVersion: content.version, checklistTitle: content.title, now: new Date('2026-05-01T09:00:00+08:00') });

describe('answers', () => {
  it('pre-fills a finding with the hazard description, and keeps a typed one', () => {
    let d = updateAnswer(fresh(), a1, { result: '不符合' });
    expect(d.answers['A-1'].finding).toBe('疏散通道被货物堵塞');
    d = updateAnswer(d, a1, { finding: '后门被纸箱堵死' });
    d = updateAnswer(d, a1, { count: 2 });
    expect(d.answers['A-1']).toMatchObject({ finding: '后门被纸箱堵死', count: 2 });
  });

  it('judges numbers against their limits and choices by their option', () => {
    let d = updateAnswer(fresh(), b1, { value: 9 });
    expect(isFailed(b1, d.answers['B-1'])).toBe(false);
    d = updateAnswer(d, b1, { value: 12 });
    expect(isFailed(b1, d.answers['B-1'])).toBe(true);
    expect(d.answers['B-1'].finding).toBe('作业人数超过9人');
    d = updateAnswer(d, b2, { choice: 'red' });
    expect(isFailed(b2, d.answers['B-2'])).toBe(true);
    expect(d.answers['B-2'].finding).toBe('灭火器压力');
  });

  it('answers the rest of a section 符合 without touching what was answered', () => {
    let d = updateAnswer(fresh(), a1, { result: '不符合' });
    d = answerRestCompliant(d, content.sections[0].items);
    expect(d.answers['A-1'].result).toBe('不符合');
    expect(d.answers['A-2'].result).toBe('符合');
    expect(unansweredCount(d, content)).toBe(2);
  });
});

describe('validation', () => {
  it('requires a photo for a failed item that asks for one', () => {
    const d = updateAnswer(fresh(), a1, { result: '不符合' });
    expect(validate(d, content)).toEqual([{ itemCode: 'A-1', message: '「疏散通道畅通」不符合，须拍照取证。' }]);
    expect(validate(updateAnswer(d, a1, { photoIds: ['p1'] }), content)).toEqual([]);
  });

  it('requires after-photos when fixed on site, and a finding text', () => {
    let d = updateAnswer(fresh(), a2, { result: '不符合' });
    d = updateAnswer(d, a2, { finding: ' ', fixedOnSite: true });
    expect(validate(d, content).map((i) => i.message)).toEqual([
      '「应急照明完好」不符合，请填写隐患描述。', '「应急照明完好」已当场整改，须拍整改后照片。']);
  });
});

describe('payload', () => {
  it('sends answered items in the server contract, photos only for findings', () => {
    let d = updateAnswer(fresh(), a1, { result: '不符合' });
    d = updateAnswer(d, a1, { photoIds: ['p1'], fixedOnSite: true, afterPhotoIds: ['p2'] });
    d = updateAnswer(d, a2, { result: '符合', photoIds: ['stray'] });
    d = updateAnswer(d, b1, { value: 3 });
    d = updateAnswer(d, b2, { choice: 'green' });
    d = { ...d, signaturePhotoId: 'sig', position: { lat: 30.1, lng: 120.2, accuracy_m: 8 },
      qrScan: { token: 'tok', scanned_at: '2026-05-01T09:00:00+08:00' } };
    const at = new Date('2026-05-01T10:00:00+08:00');
    const payload = toPayload(d, content, at, at);
    expect(payload).toMatchObject({
      client_uuid: 'uuid-1', site_id: 3, checklist_id: 'fire-small-shop', checklist_version: '2026.1',
      mode: 'routine', notes: '', signature_photo_id: 'sig', position: { lat: 30.1, lng: 120.2, accuracy_m: 8 },
      qr_scan: { token: 'tok', scanned_at: '2026-05-01T09:00:00+08:00' },
    });
    expect(payload.answers).toEqual([
      { item_code: 'A-1', result: '不符合', count: 1, finding: '疏散通道被货物堵塞', photo_ids: ['p1'],
        fixed_on_site: true, after_photo_ids: ['p2'] },
      { item_code: 'A-2', result: '符合', count: 1, finding: '', photo_ids: [], fixed_on_site: false, after_photo_ids: [] },
      { item_code: 'B-1', value: 3, count: 1, finding: '', photo_ids: [], fixed_on_site: false, after_photo_ids: [] },
      { item_code: 'B-2', choice: 'green', count: 1, finding: '', photo_ids: [], fixed_on_site: false, after_photo_ids: [] },
    ]);
    expect(photoIdsOf(d).sort()).toEqual(['p1', 'p2', 'sig', 'stray'].sort());
  });

  it('writes times as ISO 8601 with the device offset', () => {
    expect(isoWithOffset(new Date())).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  });
});

describe('photo sizing', () => {
  it('fits the long side within 1600 px and never enlarges', () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(3000, 4000)).toEqual({ width: 1200, height: 1600 });
    expect(fitWithin(800, 600)).toEqual({ width: 800, height: 600 });
  });
});

describe('不涉及 and the 一般/重大 judgement', () => {
  const major = { code: 'C-1', text: '居住场所内从事生产经营', answer: { type: 'compliance' as const },
    hazard: { description: '住宿与生产经营合用', level: '一般' as const, major_condition: 'GB 35181-2017 7.1.3' } };

  it('本节不涉及 marks every unanswered item of the section 不涉及, of every kind, and never 符合', () => {
    let d = updateAnswer(fresh(), b2, { choice: 'green' });
    d = answerRestNotApplicable(d, [...content.sections[0].items, ...content.sections[1].items]);
    expect(Object.fromEntries(Object.entries(d.answers).map(([k, v]) => [k, v.result ?? v.choice]))).toEqual({
      'A-1': '不涉及', 'A-2': '不涉及', 'B-1': '不涉及', 'B-2': 'green' });
    expect(unansweredItems(d, content)).toEqual([]);
    expect(isFailed(b1, d.answers['B-1'])).toBe(false);
  });

  it('sends 不涉及 for a number item, and a value given afterwards replaces it', () => {
    let d = updateAnswer(fresh(), b1, { result: '不涉及' });
    const sent = (toPayload(d, content, new Date(), new Date()).answers as Record<string, unknown>[])[0];
    expect(sent).toMatchObject({ item_code: 'B-1', result: '不涉及' });
    expect(sent).not.toHaveProperty('value');
    d = updateAnswer(d, b1, { value: 12 });
    expect(isNotApplicable(d.answers['B-1'])).toBe(false);
    expect(isFailed(b1, d.answers['B-1'])).toBe(true);
  });

  it('lists the unanswered items for the confirmation before submit', () => {
    const d = updateAnswer(fresh(), a1, { result: '符合' });
    expect(unansweredItems(d, content).map((i) => i.code)).toEqual(['A-2', 'B-1', 'B-2']);
  });

  it('sends the inspector’s judgement for a finding that may be major, 一般 unless chosen', () => {
    const withMajor: ChecklistContent = { ...content, sections: [{ code: 'C', title: '其他', items: [major, a2] }] };
    expect(mayBeMajor(major)).toBe(true);
    expect(mayBeMajor(a2)).toBe(false);
    let d = updateAnswer(fresh(), major, { result: '不符合' });
    d = updateAnswer(d, a2, { result: '不符合', finding: '应急照明损坏' });
    const answers = () => toPayload(d, withMajor, new Date(), new Date()).answers as Record<string, unknown>[];
    expect(answers()[0].level).toBe('一般');
    expect(answers()[1]).not.toHaveProperty('level');
    d = updateAnswer(d, major, { level: '重大' });
    expect(answers()[0].level).toBe('重大');
  });
});
