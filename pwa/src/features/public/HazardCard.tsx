/** One published hazard as the public sees it: the site's name, what, how serious, by when, how far, photos. */
import type { PublicHazard } from './api';
import { localDate, localTime } from './format';

export function HazardCard(props: { hazard: PublicHazard; showSite?: boolean }) {
  const h = props.hazard;
  const closed = h.status === 'closed';
  return (
    <article class="card pub-hazard" data-testid="public-hazard" data-status={h.status}>
      <div class="pub-hazard-head">
        {props.showSite !== false && <h3 data-testid="hazard-site">{h.site_name}</h3>}
        <span class={`badge status-${h.status}`}>{h.status_label}</span>
      </div>
      <p class="pub-desc" data-testid="hazard-description">{h.description}</p>
      <p class="muted pub-meta">
        {h.domain_label} · {h.level_label}
        {h.published_at && <> · 曝光于 {localDate(h.published_at)}</>}
      </p>
      {!closed && h.deadline_at && <p class="deadline">整改期限：{localTime(h.deadline_at)}</p>}
      {closed && h.closed_at && <p class="pub-closed">已于 {localTime(h.closed_at)} 整改完毕</p>}
      {h.before_after.length > 0 && (
        <div class="pairs" data-testid="before-after">
          <div class="pair head"><span>整改前</span><span>整改后</span></div>
          {h.before_after.map((p) => (
            <div class="pair" key={p.before + p.after}>
              <figure><img src={p.before} alt="整改前照片" loading="lazy" decoding="async" /></figure>
              <figure><img src={p.after} alt="整改后照片" loading="lazy" decoding="async" /></figure>
            </div>
          ))}
        </div>
      )}
      {h.photos.length > 0 && h.before_after.length === 0 && (
        <div class="photos" data-testid="hazard-photos">
          {h.photos.map((src, i) => (
            <figure key={src}><img src={src} alt={`隐患照片 ${i + 1}`} loading="lazy" decoding="async" /></figure>
          ))}
        </div>
      )}
      {h.code && <p class="item-code">公开编号 {h.code}</p>}
    </article>
  );
}
