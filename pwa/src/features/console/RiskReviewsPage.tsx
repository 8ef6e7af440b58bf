/**
 * 风险评估审核: the enterprises' 风险评价 waiting for a supervisor. Accepting one makes it count toward the
 * site's level (recomputed at once, recorded); returning it needs a reason the enterprise then sees.
 */
import { useState } from 'preact/hooks';
import { HttpError } from '../../api/http';
import { Banner } from '../../ui/components';
import { riskApi, type ReviewItem } from '../risk/api';
import { LEVEL_COLOURS, LEVEL_LABELS } from '../risk/logic';
import '../risk/risk.css';
import { LoadState, useLoad } from './ui';

function time(iso: string | null | undefined): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso ?? '');
  return m ? `${m[1]} ${m[2]}` : '';
}

function Level(props: { level: ReviewItem['level'] | null }) {
  if (!props.level) return <span>未评估</span>;
  return <span class="chip" data-level={props.level} style={{ background: LEVEL_COLOURS[props.level],
    color: props.level === 'yellow' ? '#222' : '#fff' }}>{LEVEL_LABELS[props.level]}</span>;
}

function ReviewRow(props: { item: ReviewItem; onDone: (message: string) => void }) {
  const { item } = props;
  const [returning, setReturning] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function decide(decision: 'accept' | 'return') {
    setBusy(true);
    setError(null);
    try {
      const risk = await riskApi.review(item.id, decision, decision === 'return' ? note.trim() : null);
      props.onDone(decision === 'accept'
        ? `已通过「${item.site_name} · ${item.risk_point_name}」的评估；场所风险等级：${risk.summary}`
        : `已退回「${item.site_name} · ${item.risk_point_name}」的评估。`);
    } catch (e) {
      setError(e instanceof HttpError ? e.problem.detail : '无法连接服务器，审核未提交。');
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr data-testid="review-row" data-id={item.id} data-site={item.site_name}>
      <td><a href={`/sites/${item.site_id}/risk`}>{item.site_name}</a></td>
      <td><b>{item.risk_point_name}</b><br /><small class="muted">{item.hazard_source}</small></td>
      <td><Level level={item.current_level} /><br /><small class="muted">{item.current_basis ?? ''}</small></td>
      <td data-testid="review-proposed"><Level level={item.level} /><br /><small>{item.basis}</small></td>
      <td>{item.reason}<br /><small class="muted">{item.assessed_by ?? ''} {time(item.assessed_at)}</small></td>
      <td>
        {returning ? (
          <div>
            <textarea rows={2} data-testid="review-note" placeholder="退回理由（必填）" value={note}
              onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
            <div class="button-row">
              <button type="button" class="btn small danger" disabled={busy || !note.trim()} data-testid="review-return-confirm"
                onClick={() => void decide('return')}>确认退回</button>
              <button type="button" class="btn small" disabled={busy} onClick={() => setReturning(false)}>取消</button>
            </div>
          </div>
        ) : (
          <div class="button-row">
            <button type="button" class="btn small primary" disabled={busy} data-testid="review-accept"
              onClick={() => void decide('accept')}>通过</button>
            <button type="button" class="btn small" disabled={busy} data-testid="review-return"
              onClick={() => setReturning(true)}>退回</button>
          </div>
        )}
        {error && <Banner kind="error">{error}</Banner>}
      </td>
    </tr>
  );
}

export function RiskReviewsPage(props: { query: URLSearchParams }) {
  const regionId = props.query.get('region_id');
  const [notice, setNotice] = useState<string | null>(null);
  const loaded = useLoad(() => riskApi.reviews(regionId), [regionId]);
  return (
    <div data-testid="risk-reviews">
      <div class="page-head">
        <h1>风险评估审核</h1>
        <span class="muted">{loaded.data ? `待审核 ${loaded.data.items.length} 条` : ''}</span>
      </div>
      <p class="muted">企业对风险点的评估经审核通过后计入场所风险等级（四色图随之更新）；退回须写明理由。</p>
      {notice && <Banner kind="info" testid="review-notice">{notice}</Banner>}
      <LoadState loaded={loaded}>{(data) => data.items.length === 0
        ? <p class="muted" data-testid="reviews-empty">没有待审核的风险评估。</p>
        : (
          <table class="table">
            <thead><tr><th>场所</th><th>风险点</th><th>现行等级</th><th>本次评估</th><th>理由</th><th>审核</th></tr></thead>
            <tbody>{data.items.map((item) => <ReviewRow key={item.id} item={item}
              onDone={(m) => { setNotice(m); loaded.reload(); }} />)}</tbody>
          </table>
        )}</LoadState>
    </div>
  );
}
