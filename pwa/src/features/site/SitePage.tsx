/** 场所页: details, the checklists that apply (start an inspection), drafts here, open hazards, QR poster and rotation. */
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
import { InspectionHistory } from '../inspection/InspectionRecordPage';
import { cachedSite, checklistsForSite, refreshSite } from '../sites/data';
import { mergedInto } from '../sites/merged';
import { HttpError } from '../../api/http';
import { RISK_LEVEL_LABELS, gridPostersPath, posterPath, rotateQr } from './data';

/** 场所二维码: the poster to print (PNG/PDF), the grid's sheet, and 更换二维码 after a confirmation. */
function QrSection(props: { site: Site; official: boolean; onRotated: (site: Site) => void }) {
  const { site } = props;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  // Everyone who sees the site may print its poster (the enterprise for its own door); only some may rotate it.
  const mayRotate = (site.allowed_actions ?? []).includes('site.rotate_qr');

  async function rotate() {
    setBusy(true);
    setMessage(null);
    try {
      props.onRotated(await rotateQr(site.id));
      setMessage({ kind: 'info', text: '已更换二维码：旧二维码已失效，请下载并张贴新的海报。' });
      setConfirming(false);
    } catch (e) {
      setMessage({ kind: 'error', text: e instanceof HttpError ? e.problem.detail : '无法连接服务器，二维码未更换。' });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section data-testid="qr-section">
      <h2>场所二维码</h2>
      {site.qr_rotated_at && <p class="muted">二维码更换于 {formatTime(site.qr_rotated_at)}</p>}
      {!props.official && <p class="muted">打印后张贴在场所门口：检查人员扫码到场，群众扫码查看整改情况、举报隐患。</p>}
      <div class="downloads">
        <a class="btn" href={posterPath(site.id, 'pdf')} target="_blank" rel="noopener" data-testid="poster-pdf">二维码海报（PDF）</a>
        <a class="btn" href={posterPath(site.id, 'png')} target="_blank" rel="noopener" data-testid="poster-png">二维码海报（图片）</a>
        {props.official && site.grid_id && <a class="btn" href={gridPostersPath(site.grid_id)} target="_blank" rel="noopener"
          data-testid="grid-posters">本网格全部场所二维码（PDF）</a>}
      </div>
      {message && <Banner kind={message.kind} testid="qr-message">{message.text}</Banner>}
      {mayRotate && (confirming ? (
        <div class="card" role="alertdialog" aria-labelledby="qr-confirm-title" data-testid="qr-confirm">
          <b id="qr-confirm-title">确定更换该场所的二维码吗？</b>
          <p>更换后，已张贴的二维码立即失效，扫码将提示“二维码无效或已更换”。请随后打印并张贴新的海报。</p>
          <div class="button-row">
            <button type="button" class="btn danger" disabled={busy} data-testid="qr-rotate-confirm" onClick={() => void rotate()}>
              {busy ? '正在更换…' : '确定更换'}</button>
            <button type="button" class="btn" disabled={busy} onClick={() => setConfirming(false)}>取消</button>
          </div>
        </div>
      ) : <button type="button" class="btn block" data-testid="qr-rotate" onClick={() => { setMessage(null); setConfirming(true); }}>
        更换二维码（旧码作废）</button>)}
    </section>
  );
}

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
      // A site merged into another (合并重复场所) is shown as the surviving one.
      const survivor = await mergedInto(props.id);
      if (survivor) {
        if (live) navigate(`/sites/${survivor.id}`, { replace: true });
        return;
      }
      let found = await cachedSite(props.id);
      if (live && found) setSite(found);
      try {
        found = (await refreshSite(props.id)).data;
        if (found.merged_into_id) {
          if (live) navigate(`/sites/${found.merged_into_id}`, { replace: true });
          return;
        }
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
        {site.risk_level && <div class="muted">风险等级：{RISK_LEVEL_LABELS[site.risk_level] ?? '未评定'}</div>}
        <a href={`/sites/${site.id}/risk`} data-testid="site-risk-link">风险分级管控（风险点与评估）</a>
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
      <QrSection site={site} official={appRole(session?.user.grants) !== 'enterprise'} onRotated={setSite} />
      <InspectionHistory siteId={site.id} />
      <h2>未闭环隐患（{hazards.length}）</h2>
      {hazards.length === 0 ? <p class="muted">本机记录中该场所没有未闭环隐患。</p> : (
        <ul class="list" data-testid="site-hazards">{hazards.map((h) => <HazardRow key={h.id} hazard={h} />)}</ul>
      )}
    </div>
  );
}
