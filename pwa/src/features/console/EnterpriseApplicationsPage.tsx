/**
 * 企业注册审核: enterprises that claimed their site (phone on record verified by SMS) or applied with a licence
 * photo. 通过 gives the enterprise its account (sent by SMS); 不予通过 needs a reason, which it receives.
 */
import { useCallback, useState } from 'preact/hooks';
import { Banner } from '../../ui/components';
import { day } from './logic';
import { licencePhoto, siteAdminApi, type Application } from './site-admin-api';
import { type Region, adminApi } from './admin/api';
import { RegionPicker } from './RegionPicker';
import { LoadState, useAct, useLoad } from './ui';

const STATUS: [string, string][] = [['pending', '待审核'], ['approved', '已通过'], ['refused', '未通过']];

function ApplicationCard(props: { application: Application; regions: Region[]; onDone: (message: string) => void }) {
  const a = props.application;
  const { busy, error, act } = useAct(props.onDone);
  const [refusing, setRefusing] = useState(false);
  const [reason, setReason] = useState('');
  const [gridId, setGridId] = useState<number | null>(null);
  // An application names its street: the site is registered in one of that street's grids.
  const street = props.regions.find((r) => r.id === a.region_id);
  const inStreet = useCallback((r: Region) => r.level === 'grid' && Boolean(street && r.path.startsWith(street.path)),
    [street]);
  const may = a.status === 'pending' && a.allowed_actions.includes('enterprise_application.review');

  return (
    <article class="card" data-testid="application">
      <h2>{a.name} <small class="muted">{a.kind === 'claim' ? '认领已登记场所' : '新注册申请'}</small></h2>
      <p>联系人 {a.contact_name} · {a.mobile}{a.mobile_verified ? '（短信验证通过）' : ''} · {a.region_name} · 提交于 {day(a.created_at)}</p>
      {a.credit_code && <p>统一社会信用代码 {a.credit_code}</p>}
      {a.address && <p>地址 {a.address}</p>}
      {a.kind === 'claim' && a.site_name && <p>认领场所：<b>{a.site_name}</b>（信用代码与登记联系电话相符）</p>}
      {a.licence_photo_id && <p><a href={licencePhoto(a.id)} target="_blank" rel="noopener">
        <img src={licencePhoto(a.id)} alt="营业执照照片" width={240} /></a></p>}
      {a.status === 'refused' && <p>不予通过：{a.refusal_reason}</p>}
      {error && <Banner kind="error">{error}</Banner>}
      {may && a.kind === 'apply' && (
        <RegionPicker label="登记到网格" regions={props.regions} choices={inStreet} value={gridId} onChange={setGridId}
          testid="application-grid" />
      )}
      {may && (
        <div class="button-row">
          <button type="button" class="btn primary" disabled={busy || (a.kind === 'apply' && !gridId)} data-testid="approve-application"
            onClick={() => void act(() => siteAdminApi.approveApplication(a.id, a.kind === 'apply' ? { grid_id: Number(gridId) } : {}),
              `已通过「${a.name}」的申请，账号已通过短信发送给 ${a.contact_name}。`)}>通过，开通企业账号</button>
          <button type="button" class="btn danger" disabled={busy} onClick={() => setRefusing(true)}>不予通过</button>
        </div>
      )}
      {may && refusing && (
        <div>
          <label for={`refuse-${a.id}`}>不予通过的理由（将以短信告知申请人）</label>
          <textarea id={`refuse-${a.id}`} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
          <button type="button" class="btn danger" disabled={busy || !reason.trim()} data-testid="refuse-application"
            onClick={() => void act(() => siteAdminApi.refuseApplication(a.id, reason.trim()), `已答复「${a.name}」不予通过。`)}>
            确认不予通过</button>
        </div>
      )}
    </article>
  );
}

export function EnterpriseApplicationsPage(props: { query: URLSearchParams }) {
  const [status, setStatus] = useState(props.query.get('status') ?? 'pending');
  const loaded = useLoad(() => siteAdminApi.applications(status), [status]);
  const regions = useLoad(() => adminApi.regions(), []);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div data-testid="enterprise-applications">
      <div class="page-head"><h1>企业注册审核</h1></div>
      <div class="chips" role="group" aria-label="状态">
        {STATUS.map(([value, label]) => (
          <button key={value} type="button" class={`chip${status === value ? ' on' : ''}`} aria-pressed={status === value}
            onClick={() => setStatus(value)}>{label}</button>
        ))}
      </div>
      {message && <Banner kind="info" testid="application-message">{message}</Banner>}
      <LoadState loaded={loaded}>{(rows) => rows.length === 0 ? <p class="muted">没有申请。</p> : (
        <>{rows.map((a) => <ApplicationCard key={a.id} application={a} regions={regions.data ?? []} onDone={(m) => { setMessage(m); loaded.reload(); }} />)}</>
      )}</LoadState>
    </div>
  );
}
