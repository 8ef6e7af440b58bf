import { describe, expect, it } from 'vitest';
import { spotCheckText } from './SpotCheckNote';

const event = (payload: Record<string, unknown>) => ({
  id: 1, kind: 'self_rectify', label: '自查自改', from_status: 'found', to_status: 'closed', actor_name: null,
  actor_role: 'enterprise_user', occurred_at: '', note: null, payload, photo_hashes: [],
});

describe('自查自改 and its spot-check draw, in words', () => {
  it('says nothing for a hazard never self-rectified', () => {
    expect(spotCheckText({ status: 'found', timeline: [] })).toBeNull();
  });

  it('says a 重大 self-found hazard was reported to the supervisors while it awaits 交办', () => {
    expect(spotCheckText({ status: 'found', source: 'self_check', level: 'major', timeline: [] })?.text)
      .toContain('已自报');
    expect(spotCheckText({ status: 'assigned', source: 'self_check', level: 'major', timeline: [] })).toBeNull();
  });

  it('says whether the recorded draw picked it, with the share', () => {
    const drawn = spotCheckText({ status: 'awaiting_verification', timeline: [event({ spot_check: true, share: 0.2 })] });
    expect(drawn).toEqual({ drawn: true, text: '已自查自改，本项被抽中抽查（抽查比例 20%，抽签结果已记录、可复现），等待网格员现场复查。' });
    const closed = spotCheckText({ status: 'closed', timeline: [event({ spot_check: false, share: 0.2 })] });
    expect(closed?.drawn).toBe(false);
    expect(closed?.text).toContain('未被抽中抽查');
  });
});
