import { describe, expect, it } from 'vitest';
import type { ChecklistContent } from '../../api/types';
import { newInspectionDraft, updateAnswer } from './form';
import { scoreAnswers } from './ScorePreview';

const content: ChecklistContent = {
  id: 'fire-small-shop', title: '小商店消防安全检查表', version: '2026.1',
  sections: [{ code: 'A', title: '安全疏散', items: [
    { code: 'A-1', text: '疏散通道畅通', answer: { type: 'compliance' }, hazard: { description: '疏散通道被堵塞' } },
    { code: 'A-2', text: '作业人数', answer: { type: 'number', unit: '人', max: 9 } },
    { code: 'A-3', text: '应急照明完好', answer: { type: 'compliance' } },
  ] }],
};
const [a1, a2] = content.sections[0].items;

describe('试算得分', () => {
  it('sends what the score reads — result, value, count — and leaves unanswered items out', () => {
    let d = newInspectionDraft({ id: 'uuid-1', siteId: 3, siteName: '便利店', checklistId: content.id,
      checklistVersion: content.version, checklistTitle: content.title, now: new Date('2026-05-01T09:00:00+08:00') });
    d = updateAnswer(d, a1, { result: '不符合' });
    d = updateAnswer(d, a1, { count: 2 });
    d = updateAnswer(d, a2, { value: 4 });
    expect(scoreAnswers(d, content)).toEqual({
      'A-1': { result: '不符合', count: 2 },
      'A-2': { value: 4, count: 1 },
    });
  });
});
