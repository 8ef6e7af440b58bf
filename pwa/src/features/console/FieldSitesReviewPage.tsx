/**
 * 新增场所审核: the sites 网格员 registered in the field, each with its photos and the registered sites that may be
 * the same place; 通过 makes it permanent, 合并 moves its inspections and hazards into the existing site.
 */
import { useState } from 'preact/hooks';
import { apiPath } from '../../api/http';
import { Banner } from '../../ui/components';
import { day } from './logic';
import { photoThumb, siteAdminApi, type PendingSite } from './site-admin-api';
import { LoadState, useAct, useLoad } from './ui';

function PendingCard(props: { site: PendingSite; onDone: (message: string) => void }) {
  const { site } = props;
  const { busy, error, act } = useAct(props.onDone);
  const may = (a: string) => (site.allowed_actions ?? []).includes(a);

  return (
    <article class="card" data-testid="pending-site">
      <h2>{site.name}</h2>
      <p>{site.address} · {site.grid_name} · 登记人 {site.registered_by_name ?? '—'} · {day(site.created_at ?? '')}</p>
      {site.credit_code && <p>统一社会信用代码 {site.credit_code}</p>}
      {site.lat != null && <p class="muted">定位 {site.lat.toFixed(5)}, {site.lng?.toFixed(5)}</p>}
      {/* A thumbnail opens the full evidence copy: the door sign is read before deciding. */}
      <div class="photos">{site.photo_ids.map((id) => <a key={id} href={apiPath(`/photos/${id}/evidence`)} target="_blank"
        rel="noopener" title="查看大图"><img src={photoThumb(id)} alt="场所照片" width={120} /></a>)}</div>
      {site.duplicates.length > 0 ? (
        <div>
          <b>可能重复的已登记场所</b>
          <ul>
            {site.duplicates.map((d) => (
              <li key={d.site.id}>{d.site.name}（{d.site.address}，{d.reason}）
                {may('site.merge') && <button type="button" class="btn small" disabled={busy} data-testid="merge-into"
                  onClick={() => void act(() => siteAdminApi.merge(site.id, d.site.id, '现场新增与已登记场所重复'),
                    `「${site.name}」已合并到「${d.site.name}」，其检查记录和隐患已转入。`)}>合并到此场所</button>}
              </li>
            ))}
          </ul>
        </div>
      ) : <p class="muted">附近没有疑似重复的已登记场所。</p>}
      {error && <Banner kind="error">{error}</Banner>}
      {may('site.review') && <button type="button" class="btn primary" disabled={busy} data-testid="approve-site"
        onClick={() => void act(() => siteAdminApi.approve(site.id), `「${site.name}」已审核通过，正式入册。`)}>通过，正式入册</button>}
    </article>
  );
}

export function FieldSitesReviewPage() {
  const loaded = useLoad(() => siteAdminApi.pending(), []);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div data-testid="field-sites-review">
      <div class="page-head"><h1>新增场所审核</h1>
        <span class="muted">{loaded.data ? `待审核 ${loaded.data.length} 个` : ''}</span></div>
      {message && <Banner kind="info" testid="review-message">{message}</Banner>}
      <LoadState loaded={loaded}>{(sites) => sites.length === 0 ? <p class="muted">没有待审核的新增场所。</p> : (
        <>{sites.map((s) => <PendingCard key={s.id} site={s} onDone={(m) => { setMessage(m); loaded.reload(); }} />)}</>
      )}</LoadState>
    </div>
  );
}
