import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { itemRequest, type SubmissionApi } from '../../api/submissions';
import type { Hazard } from '../../api/types';
import { putPhoto } from '../../db/photos';
import { closeDBForTests } from '../../db/schema';
import * as outbox from '../../outbox/outbox';
import { flushOnce } from '../../outbox/sync';
import { siteTokenFrom } from '../scan/decode';
import {
  ACTIONS, appRole, countdown, documentPdfPath, fieldProblems, gridIds, initialValues, ledgerExportPath, localDate,
  offeredActions, pendingSteps, photoFlags, photoPairs, previewPhoto, todayLists, transitionPayload, validateAction,
  distanceM, visitLine, visitPreview,
} from './logic';

beforeEach(async () => {
  await closeDBForTests();
  globalThis.indexedDB = new IDBFactory();
});

const NOW = new Date('2026-11-23T10:00:00+08:00').getTime();

describe('countdown', () => {
  it.each([
    ['2026-11-26T10:00:00+08:00', '剩 3 天', false, false],
    ['2026-11-23T15:30:00+08:00', '剩 5 小时', false, true],
    ['2026-11-23T10:20:00+08:00', '剩 20 分钟', false, true],
    ['2026-11-21T09:00:00+08:00', '已逾期 2 天', true, true],
  ])('%s → %s', (deadline, text, overdue, urgent) => {
    expect(countdown(deadline, NOW)).toEqual({ text, overdue, urgent });
  });
  it('has nothing to count without a deadline', () => {
    expect(countdown(null, NOW)).toBeNull();
  });
});

describe('before/after photos', () => {
  it('pairs the finding photos with the rectification photos, side by side', () => {
    expect(photoPairs({ photo_ids: ['b1', 'b2', 'a1'], rectification: { photo_ids: ['a1'] } }))
      .toEqual([['b1', 'a1'], ['b2', null]]);
    expect(photoPairs({ photo_ids: ['b1'], rectification: null })).toEqual([['b1', null]]);
  });
});

describe('roles and 今日任务', () => {
  const hazard = (id: number, status: Hazard['status'], site: number, deadline: string | null): Hazard => ({
    id, number: `YH-${id}`, site_id: site, site_name: `场所${site}`, source: 'grid_patrol', covert: false,
    item_code: null, description: '隐患', level: 'general', domain: 'fire', status, found_at: '2026-11-01T00:00:00Z',
    deadline_at: deadline, overdue: false, photo_ids: [],
  });

  it('tells an enterprise account from an official one', () => {
    expect(appRole([{ role: 'enterprise_user', site_id: 3 }])).toBe('enterprise');
    expect(appRole([{ role: 'grid_worker', region_id: 7 }, { role: 'enterprise_user', site_id: 3 }])).toBe('official');
    expect(gridIds([{ role: 'grid_worker', region_id: 7 }, { role: 'supervisor', region_id: 2 }])).toEqual([7]);
  });

  it('lists 待复查 of my grids and my open hazards, most urgent first', () => {
    const grids: Record<number, number> = { 1: 7, 2: 7, 3: 8 };
    const all = [
      hazard(1, 'awaiting_verification', 1, null), hazard(2, 'rectifying', 1, '2026-11-30T00:00:00Z'),
      hazard(3, 'assigned', 2, '2026-11-24T00:00:00Z'), hazard(4, 'awaiting_verification', 3, null),
      hazard(5, 'found', 2, null),
    ];
    const { toVerify, open } = todayLists(all, [7], (site) => grids[site]);
    expect(toVerify.map((h) => h.id)).toEqual([1]);
    expect(open.map((h) => h.id)).toEqual([3, 2]);
    expect(todayLists(all, null, () => undefined).toVerify.map((h) => h.id)).toEqual([1, 4]);
  });
});

describe('action forms', () => {
  it('offers exactly the actions the server allows, in its order, each with a form', () => {
    expect(offeredActions(['expose', 'verify_pass', 'verify_fail', 'unknown_step']).map((a) => a.action))
      .toEqual(['expose', 'verify_pass', 'verify_fail']);
  });

  it('has a form for every official step of the workflow and the 曝光台', () => {
    const steps = ['expose', 'assign', 'acknowledge', 'submit_governance_plan', 'approve_governance_plan',
      'return_governance_plan', 'submit_rectification', 'verify_pass', 'verify_fail', 'request_extension',
      'approve_extension', 'refuse_extension', 'list_supervision', 'lift_supervision', 'close_on_site', 'self_rectify',
      'publish_exposure', 'withdraw_exposure'];
    expect(offeredActions(steps)).toHaveLength(steps.length);
    expect(ACTIONS.publish_exposure.publication && ACTIONS.withdraw_exposure.publication).toBe(true);
    expect(Object.values(ACTIONS).every((a) => /[\u4e00-\u9fff]/.test(a.label))).toBe(true);
  });

  it('pre-fills the deadline the server would use, and the date the enterprise asked for', () => {
    const hazard = { default_deadline: '2026-12-20', extension: { state: 'requested', reason: '等配件',
      requested_deadline: '2027-01-05T23:59:59+08:00', requested_at: null, after_deadline: true, decided_at: null,
      decision_note: null } };
    expect(initialValues(ACTIONS.assign, hazard)).toEqual({ deadline: '2026-12-20' });
    expect(initialValues(ACTIONS.verify_fail, hazard)).toEqual({ deadline: '2026-12-20' });
    expect(initialValues(ACTIONS.approve_extension, hazard)).toEqual({ deadline: '2027-01-05' });
    expect(initialValues(ACTIONS.verify_pass, hazard)).toEqual({});
  });

  it('checks what the server guards check, before queueing, next to each field', () => {
    const now = new Date('2026-12-03T10:00:00+08:00');
    const general = { level: 'general' as const, governance_plan: null };
    expect(validateAction(ACTIONS.submit_rectification, { measures: ' ', photo_ids: [] }, general, now))
      .toEqual(['请填写已采取的整改措施。', '请拍摄整改后照片。']);
    expect(validateAction(ACTIONS.submit_rectification, { measures: '已清理', photo_ids: ['p'] }, general, now)).toEqual([]);
    expect(validateAction(ACTIONS.submit_rectification, { measures: '已清理', photo_ids: ['p'] },
      { level: 'major', governance_plan: { goals: '目标' }, governance_plan_state: 'submitted' }, now))
      .toContain('重大隐患须先有审批通过的治理方案，再报告整改完成。');
    expect(fieldProblems(ACTIONS.verify_fail, { note: '' }, general, now))
      .toEqual({ note: '请填写不通过的原因。', deadline: '请选择重新整改期限。' });
    expect(fieldProblems(ACTIONS.verify_fail, { note: '灭火器仍过期', deadline: '2026-12-03' }, general, now))
      .toEqual({ deadline: '重新整改期限须晚于今天。' });
    expect(fieldProblems(ACTIONS.verify_fail, { note: '灭火器仍过期', deadline: '2026-12-04' }, general, now)).toEqual({});
    expect(fieldProblems(ACTIONS.list_supervision, { authority: '区安委办' }, general, now))
      .toEqual({ deadline: '请选择督办期限。', requirements: '请填写督办要求。' });
    expect(fieldProblems(ACTIONS.return_governance_plan, {}, general, now)).toEqual({ note: '请填写退回理由（企业将看到）。' });
    expect(validateAction(ACTIONS.submit_governance_plan, { 'plan.goals': '消除隐患' }, { level: 'major', governance_plan: null }, now))
      .toHaveLength(5);
  });

  it('reads dates in Asia/Shanghai', () => {
    expect(localDate('2026-12-03T17:00:00Z')).toBe('2026-12-04');
  });

  it('builds the transition body with the client event id, numbers and the plan', () => {
    const body = transitionPayload(9, ACTIONS.submit_rectification,
      { measures: ' 更换灭火器 ', cost: '120.5', responsible_person: '', photo_ids: ['a'] }, 'e-1', '2026-11-23T10:00:00+08:00');
    expect(body).toEqual({ hazard_id: 9, action: 'submit_rectification', client_event_id: 'e-1',
      client_time: '2026-11-23T10:00:00+08:00', measures: '更换灭火器', cost: 120.5, photo_ids: ['a'] });
    const plan = transitionPayload(9, ACTIONS.submit_governance_plan, { 'plan.goals': '目标', 'plan.methods': '方法' }, 'e-2', 't');
    expect((plan.plan as Record<string, string>).goals).toBe('目标');
    const failed = transitionPayload(9, ACTIONS.verify_fail, { note: '仍堵塞', deadline: '2026-12-20', photo_ids: [] }, 'e-3', 't');
    expect(failed).toMatchObject({ action: 'verify_fail', note: '仍堵塞', deadline: '2026-12-20' });
    expect(failed).not.toHaveProperty('photo_ids');
    expect(itemRequest('transition', body)).toEqual({
      path: '/hazards/9/transitions',
      body: { action: 'submit_rectification', client_event_id: 'e-1', client_time: '2026-11-23T10:00:00+08:00',
        measures: '更换灭火器', cost: 120.5, photo_ids: ['a'] },
    });
  });
});

describe('files and the 曝光台 preview', () => {
  it('links the PDF of a document and exports the 台账 with the list\'s filter', () => {
    expect(documentPdfPath(12)).toBe('/api/v1/documents/12.pdf');
    expect(ledgerExportPath('verify')).toBe('/api/v1/hazards/export.xlsx?status=awaiting_verification&sort=deadline_at');
    expect(ledgerExportPath('overdue')).toContain('overdue=true');
    expect(ledgerExportPath('all')).toContain('status=found,exposed,assigned,rectifying,awaiting_verification');
  });

  it('shows a photo not yet published by its thumbnail in the preview', () => {
    expect(previewPhoto('/api/v1/photos/abc123/public')).toBe('/api/v1/photos/abc123/thumbnail');
    expect(previewPhoto('https://cdn.example/x.jpg')).toBe('https://cdn.example/x.jpg');
  });
});

describe('a workflow step through the outbox', () => {
  it('uploads the after-photo first, then posts the step; a resend reuses the same client_event_id', async () => {
    await putPhoto({ id: 'after', blob: new Blob(['x'], { type: 'image/jpeg' }), type: 'image/jpeg', size: 1, width: 1,
      height: 1, capturedAt: new Date().toISOString(), position: null, createdAt: new Date().toISOString() });
    const calls: string[] = [];
    let fail = true;
    const api: SubmissionApi = {
      photoExists: async () => false,
      uploadPhoto: async (sha) => { calls.push(`upload:${sha}`); return sha; },
      submit: async (kind, payload) => {
        const { path, body } = itemRequest(kind, payload);
        calls.push(`post:${path}:${body.client_event_id}`);
        if (fail) {
          fail = false;
          throw new TypeError('connection reset');
        }
        return { id: 9, status: 'awaiting_verification' };
      },
    };
    const payload = transitionPayload(9, ACTIONS.submit_rectification, { measures: '已整改', photo_ids: ['after'] }, 'ev-1', 't');
    await outbox.enqueue({ id: 'ev-1', kind: 'transition', label: '报告整改完成', siteId: 1, photoIds: ['after'], payload });
    expect(pendingSteps(await outbox.listItems(), 9)).toHaveLength(1);

    await flushOnce({ api, now: () => Date.now() + 1, random: () => 0 });
    await flushOnce({ api, now: () => Date.now() + 10 ** 9, random: () => 0 });
    expect(calls).toEqual(['upload:after', 'post:/hazards/9/transitions:ev-1', 'post:/hazards/9/transitions:ev-1']);
    const item = (await outbox.getItem('ev-1'))!;
    expect(item.state).toBe('sent');
    expect(pendingSteps([item], 9)).toHaveLength(0);
  });
});

describe('scanning', () => {
  it.each([
    ['http://127.0.0.1:8000/s/qwtOqlHCaJTECodxka2T54uJaN7_Z0ex', 'qwtOqlHCaJTECodxka2T54uJaN7_Z0ex'],
    ['https://yh.example.gov.cn/s/abcdEFGH1234', 'abcdEFGH1234'],
    ['/s/abcdEFGH1234/', 'abcdEFGH1234'],
    ['https://example.com/other/abc', null],
    ['随便的文字', null],
  ])('%s → %s', (text, token) => {
    expect(siteTokenFrom(text)).toBe(token);
  });
});

describe('复查 presence', () => {
  const presence = { site_lat: 30.3, site_lng: 120.15, max_distance_m: 300, last_visit: null, after_photos: [
    { photo_id: 'a', taken_at: null, flags: [{ code: 'same_as_found', message: '这张整改后照片与发现隐患时的照片完全相同。' }] },
    { photo_id: 'b', taken_at: null, flags: [] },
  ] };

  it('measures the distance as the server does and flags a verifier beyond the allowance', () => {
    expect(distanceM(30.3, 120.15, 30.3009, 120.15)).toBeCloseTo(100, 0);
    const near = visitPreview(presence, { lat: 30.3003, lng: 120.1502, accuracy_m: 10 });
    expect(near.far).toBe(false);
    expect(near.text).toMatch(/距场所约 \d+ 米/);
    const far = visitPreview(presence, { lat: 30.35, lng: 120.2, accuracy_m: 10 });
    expect(far.far).toBe(true);
    expect(far.text).toContain('公里');
    expect(far.text).toContain('可能不在现场');
    // The fix's accuracy widens the allowance, as on the server.
    expect(visitPreview(presence, { lat: 30.3035, lng: 120.15, accuracy_m: 200 }).far).toBe(false);
    expect(visitPreview(presence, null).text).toContain('未能取得手机定位');
  });

  it('sends the position with a 复查 step only', () => {
    const where = { lat: 30.3, lng: 120.15, accuracy_m: 9 };
    expect(transitionPayload(3, ACTIONS.verify_pass, {}, 'e-1', 't', where).position).toEqual(where);
    expect('position' in transitionPayload(3, ACTIONS.verify_fail, { note: 'x', deadline: '2026-12-30' }, 'e-2', 't', null))
      .toBe(false);
    expect('position' in transitionPayload(3, ACTIONS.acknowledge, {}, 'e-3', 't', where)).toBe(false);
  });

  it('reads the recorded visit and the photo flags as sentences', () => {
    expect(visitLine('verify_pass', { distance_m: 42.4, far_from_site: false, position: {} })).toBe('复查位置：距场所约 42 米');
    expect(visitLine('verify_fail', { distance_m: 5230, far_from_site: true, position: {} })).toContain('5.2 公里，超出现场范围');
    expect(visitLine('verify_pass', { distance_m: null, position: null })).toBe('复查时未取得定位');
    expect(visitLine('acknowledge', {})).toBeNull();
    expect(photoFlags(presence)).toEqual([
      { photoId: 'a', code: 'same_as_found', message: '这张整改后照片与发现隐患时的照片完全相同。' }]);
  });
});
