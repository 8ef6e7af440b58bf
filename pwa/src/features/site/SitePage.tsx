/** 场所页: details, the checklists that apply (start an inspection), drafts here, the site's open hazards. */
import { useEffect, useState } from 'preact/hooks';
import type { ChecklistSummary, Hazard, Site } from '../../api/types';
import { sessionStore } from '../../app-state';
import { useStore } from '../../store';
import { HazardRow } from '../hazards/HazardListPage';
import { cachedHazards } from '../hazards/data';
import { appRole, byUrgency } from '../hazards/logic';
import { listDrafts } from '../../db/drafts';
import type { Draft } from '../../db/types';
import { navigate } from '../../router';
import { Banner, ago, formatTime } from '../../ui/components';
import { startInspection } from '../inspection/start';
import { cachedSite, checklistsForSite, refreshSite } from '../sites/data';

export function SitePage(props: { id: number; qr: { token: string; scanned_at: string } | null }) {
  const [site, setSite] = useState<Site | null | undefined>(undefined);
  const [checklists, setChecklists] = useState<{ items: ChecklistSummary[]; fetchedAt: string | null } | null>(null);
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [hazards, setHazards] = useState<Hazard[]>([]);
  const session = useStore(sessionStore);

  useEffect(() => {
    let live = true;
    void cachedHazards().then((e) => live && setHazards(byUrgency((e?.data ?? []).filter((h) => h.site_id === props.id))));
    void (async () => {
      let found = await cachedSite(props.id);
      if (live && found) setSite(found);
      try {
        found = (await refreshSite(props.id)).data;
        if (live) setSite(found);
      } catch (e) {
        if (live && !found) {
          setSite(null);
          setError((e as Error).name === 'HttpError' ? (e as Error).message : '离线且本机没有该场所的数据。');
        }
      }
      if (found && live) setChecklists(await checklistsForSite(found));
    })();
    void listDrafts().then((all) => live && setDrafts(all.filter((d) => d.siteId === props.id)));
    return () => {
      live = false;
    };
  }, [props.id]);

  async function start(c: ChecklistSummary) {
    setError(null);
    try {
      const draft = await startInspection(site!, c, {
        qr: props.qr, mode: appRole(session?.user.grants) === 'enterprise' ? 'self' : 'routine' });
      navigate(`/drafts/${draft.id}`);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  if (site === undefined) return <p>正在加载…</p>;
  if (site === null) return <Banner kind="error">{error}</Banner>;
  return (
    <div>
      <h2 data-testid="site-name">{site.name}</h2>
      {props.qr && <Banner kind="info">已扫码确认到场（{formatTime(props.qr.scanned_at)}）。</Banner>}
      <div class="card">
        <div>{site.address}</div>
        {site.grid_name && <div class="muted">网格：{site.grid_name}</div>}
        {site.contact_name && <div>负责人：{site.contact_name} {site.contact_mobile &&
          <a href={`tel:${site.contact_mobile}`}>{site.contact_mobile}</a>}</div>}
        {site.risk_level && <div class="muted">风险等级：{site.risk_level}</div>}
      </div>
      {error && <Banner kind="error">{error}</Banner>}
      {drafts.length > 0 && <>
        <h2>未完成的检查</h2>
        <ul class="list">
          {drafts.map((d) => <li key={d.id}><a href={`/drafts/${d.id}`}>{d.checklistTitle}
            <br /><small>保存于 {formatTime(d.updatedAt)}</small></a></li>)}
        </ul>
      </>}
      <h2>开始检查</h2>
      {checklists === null ? <p>正在加载检查表…</p> : checklists.items.length === 0
        ? <p class="muted">没有适用于该场所的检查表。</p>
        : checklists.items.map((c) => (
          <button key={c.id} type="button" class="btn block" data-testid="start-inspection" onClick={() => void start(c)}>
            {c.title}（{c.item_count} 项）
          </button>
        ))}
      {checklists && <p class="muted">检查表更新于 {ago(checklists.fetchedAt)}</p>}
      <a class="btn block" href={`/snap?site=${site.id}`}>随手拍（不按检查表）</a>
      <h2>未闭环隐患（{hazards.length}）</h2>
      {hazards.length === 0 ? <p class="muted">本机记录中该场所没有未闭环隐患。</p> : (
        <ul class="list" data-testid="site-hazards">{hazards.map((h) => <HazardRow key={h.id} hazard={h} />)}</ul>
      )}
    </div>
  );
}
