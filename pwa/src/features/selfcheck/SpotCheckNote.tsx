/** 自查自改 on the hazard page: whether the recorded draw picked it for a grid worker's spot check (抽查), in words. */
import type { HazardDetail } from '../../api/types';

/**
 * The outcome of the last 自查自改 on this hazard; for a 重大 one the enterprise found itself and that awaits 交办, that
 * it was reported (自报); else null.
 */
export function spotCheckText(hazard: Pick<HazardDetail, 'timeline' | 'status'> & Partial<Pick<HazardDetail, 'source' | 'level'>>)
  : { drawn: boolean; text: string } | null {
  const event = [...hazard.timeline].reverse().find((e) => e.kind === 'self_rectify');
  if (!event) {
    return hazard.source === 'self_check' && hazard.level === 'major' && hazard.status === 'found'
      ? { drawn: false, text: '企业自查发现的重大隐患已自报网格员、街道和区安委办，等待交办；整改前须制定治理方案。' } : null;
  }
  const drawn = Boolean(event.payload.spot_check);
  const share = Number(event.payload.share ?? 0);
  const ratio = `抽查比例 ${Math.round(share * 1000) / 10}%，抽签结果已记录、可复现`;
  if (drawn) {
    return { drawn, text: hazard.status === 'awaiting_verification'
      ? `已自查自改，本项被抽中抽查（${ratio}），等待网格员现场复查。`
      : `本项自查自改被抽中抽查（${ratio}）。` };
  }
  return { drawn, text: `已自查自改，未被抽中抽查（${ratio}），隐患已闭环。` };
}

export function SpotCheckNote(props: { hazard: HazardDetail }) {
  const outcome = spotCheckText(props.hazard);
  if (!outcome) return null;
  return (
    <div class={`banner ${outcome.drawn ? 'warn' : 'info'}`} role="status" data-testid="spot-check"
      data-drawn={outcome.drawn ? 'true' : 'false'}>{outcome.text}</div>
  );
}
