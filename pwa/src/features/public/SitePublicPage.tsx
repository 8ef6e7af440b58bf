/** /s/<token> for the public: the site on the QR poster, its published hazards, and 我要举报. */
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, PublicApiError, siteByToken, type PublicSite } from './api';
import { HazardCard } from './HazardCard';

export function SitePublicPage(props: { token: string }) {
  const [site, setSite] = useState<PublicSite | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    setError(null);
    siteByToken(props.token).then((s) => {
      setSite(s);
      document.title = `${s.name} · 安全隐患公示`;
    }).catch((e) => setError(e instanceof PublicApiError && e.status === 404
      ? '二维码无效或已更换，请扫描场所现场张贴的最新二维码。您仍可以直接举报，并在地图上选择位置。'
      : errorMessage(e)));
  }, [props.token, attempt]);

  if (error) {
    return (
      <div>
        <div class="banner error" role="alert" data-testid="public-error">{error}</div>
        <a class="btn primary block" href="/report">我要举报</a>
        <button type="button" class="btn block" onClick={() => setAttempt((a) => a + 1)}>重试</button>
      </div>
    );
  }
  if (!site) return <p class="muted" aria-busy="true">正在加载场所信息…</p>;
  return (
    <div>
      <section class="pub-site">
        <h2 data-testid="public-site-name">{site.name}</h2>
        <p class="muted" data-testid="public-site-category">{site.category_label}</p>
      </section>
      <a class="btn primary block pub-cta" href={`/report?site=${encodeURIComponent(props.token)}`}
        data-testid="report-here">我要举报</a>
      <p class="muted">发现这里有安全隐患（如消防通道堵塞、液化气罐违规存放）？无需注册，三十秒即可举报，可匿名。</p>
      <h2>公开曝光的隐患</h2>
      {site.hazards.length === 0
        ? <p class="muted" data-testid="no-hazards">该场所目前没有公开曝光的隐患。</p>
        : site.hazards.map((h, i) => <HazardCard key={h.code ?? i} hazard={h} showSite={false} />)}
    </div>
  );
}
