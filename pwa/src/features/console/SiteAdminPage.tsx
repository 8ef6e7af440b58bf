/**
 * 场所管理: find a site, edit its details, 合并重复场所, 歇业/注销 (with date and reason) or 恢复营业, and keep its
 * 一企一档 basics — licences with number and validity, responsible persons with phone, 重大危险源 and 危化品.
 * Each button is offered only when the server's rule allows it (allowed_actions); every change is recorded.
 */
import { useEffect, useState } from 'preact/hooks';
import { sessionStore } from '../../app-state';
import { navigate } from '../../router';
import { useStore } from '../../store';
import { Banner } from '../../ui/components';
import {
  CLOSURE_LABELS, siteAdminApi, type AdminSite, type Licence, type ResponsiblePerson,
} from './site-admin-api';
import { type Region, adminApi } from './admin/api';
import { RegionPicker } from './RegionPicker';
import { LoadState, errorText, useLoad } from './ui';

const isGrid = (r: Region) => r.level === 'grid';
import { SiteFilesSection, SiteInspectionsSection } from './SiteFilesSection';

/** 新增场所: registered at once in the grid chosen (the server checks it is in my scope and the credit code). */
function CreateSite() {
  const lookups = useLoad(async () => {
    const [regions, taxonomy] = await Promise.all([adminApi.regions(), adminApi.taxonomy()]);
    return { regions, categories: taxonomy.site_categories };
  }, []);
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [category, setCategory] = useState('');
  const [gridId, setGridId] = useState<number | null>(null);
  const [creditCode, setCreditCode] = useState('');
  const { busy, error, run } = useAction((site) => navigate(`/console/sites/${site.id}`));
  if (!open) {
    return <p><button type="button" class="btn" data-testid="create-site-open" onClick={() => setOpen(true)}>＋ 新增场所</button></p>;
  }
  return (
    <section class="card" data-testid="create-site">
      <h2>新增场所</h2>
      <LoadState loaded={lookups}>{(l) => (
        <>
          <label for="cs-name">名称</label>
          <input id="cs-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <label for="cs-address">地址</label>
          <input id="cs-address" value={address} onInput={(e) => setAddress((e.target as HTMLInputElement).value)} />
          <label for="cs-category">场所类别</label>
          <select id="cs-category" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
            <option value="">请选择</option>
            {l.categories.map((c) => <option key={c.code} value={c.code}>{c.label}</option>)}
          </select>
          <RegionPicker label="所属网格" regions={l.regions} choices={isGrid} value={gridId} onChange={setGridId}
            testid="cs-grid" />
          <label for="cs-code">统一社会信用代码（可不填）</label>
          <input id="cs-code" value={creditCode} onInput={(e) => setCreditCode((e.target as HTMLInputElement).value)} />
          {error && <Banner kind="error">{error}</Banner>}
          <div class="button-row">
            <button type="button" class="btn primary" data-testid="create-site-submit"
              disabled={busy || !name.trim() || !address.trim() || !category || !gridId}
              onClick={() => void run(() => siteAdminApi.create({ name: name.trim(), address: address.trim(), category,
                grid_id: gridId, ...(creditCode.trim() ? { credit_code: creditCode.trim().toUpperCase() } : {}) }),
              '已登记。')}>登记</button>
            <button type="button" class="btn" disabled={busy} onClick={() => setOpen(false)}>取消</button>
          </div>
        </>
      )}</LoadState>
    </section>
  );
}

export function SiteSearchPage(props: { query: URLSearchParams }) {
  const [q, setQ] = useState(props.query.get('q') ?? '');
  const loaded = useLoad(() => (q.trim() ? siteAdminApi.search(q.trim()) : Promise.resolve({ items: [] as AdminSite[] })), [q]);
  const session = useStore(sessionStore);
  const mayCreate = ((session?.user.grants ?? []) as { role?: string }[]).some((g) => g.role === 'supervisor' || g.role === 'admin');
  return (
    <div data-testid="site-admin-search">
      <div class="page-head"><h1>场所管理</h1></div>
      {mayCreate && <CreateSite />}
      <label for="site-admin-q">查找场所</label>
      <input id="site-admin-q" type="search" placeholder="名称、地址或统一社会信用代码" value={q}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      <LoadState loaded={loaded}>{(page) => (
        <ul class="list">
          {page.items.map((s) => (
            <li key={s.id}><a href={`/console/sites/${s.id}`}>{s.name}</a> <small class="muted">{s.address} · {s.grid_name}
              {s.closure ? ` · 已${CLOSURE_LABELS[s.closure]}` : ''}{s.merged_into_id ? ' · 已合并' : ''}</small></li>
          ))}
        </ul>
      )}</LoadState>
    </div>
  );
}

function useAction(onDone: (site: AdminSite, message: string) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function run(action: () => Promise<AdminSite>, message: string) {
    setBusy(true);
    setError(null);
    try {
      onDone(await action(), message);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, run };
}

function EditSection(props: { site: AdminSite; onDone: (site: AdminSite, message: string) => void }) {
  const regions = useLoad(() => adminApi.regions(), []);
  const [gridId, setGridId] = useState<number | null>(props.site.grid_id);
  const [name, setName] = useState(props.site.name);
  const [address, setAddress] = useState(props.site.address);
  const [contactName, setContactName] = useState(props.site.contact_name ?? '');
  const [contactMobile, setContactMobile] = useState(props.site.contact_mobile ?? '');
  const [creditCode, setCreditCode] = useState(props.site.credit_code ?? '');
  const { busy, error, run } = useAction(props.onDone);
  return (
    <section class="card">
      <h2>基本信息</h2>
      <label for="sa-name">名称</label>
      <input id="sa-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      <label for="sa-address">地址</label>
      <input id="sa-address" value={address} onInput={(e) => setAddress((e.target as HTMLInputElement).value)} />
      <label for="sa-code">统一社会信用代码</label>
      <input id="sa-code" value={creditCode} onInput={(e) => setCreditCode((e.target as HTMLInputElement).value)} />
      <label for="sa-contact">联系人</label>
      <input id="sa-contact" value={contactName} onInput={(e) => setContactName((e.target as HTMLInputElement).value)} />
      <label for="sa-mobile">联系电话</label>
      <input id="sa-mobile" value={contactMobile} onInput={(e) => setContactMobile((e.target as HTMLInputElement).value)} />
      {regions.data && <RegionPicker label="所属网格" regions={regions.data} choices={isGrid} value={gridId}
        onChange={setGridId} testid="sa-grid" />}
      {error && <Banner kind="error">{error}</Banner>}
      <button type="button" class="btn primary" disabled={busy || !gridId} data-testid="save-site" onClick={() => void run(
        () => siteAdminApi.update(props.site.id, {
          ...(gridId && gridId !== props.site.grid_id ? { grid_id: gridId } : {}),
          name: name.trim(), address: address.trim(), credit_code: creditCode.trim() || null,
          contact_name: contactName.trim() || null, contact_mobile: contactMobile.trim() || null,
        }), '已保存，修改已记入档案。')}>保存</button>
    </section>
  );
}

function CloseSection(props: { site: AdminSite; onDone: (site: AdminSite, message: string) => void }) {
  const [closure, setClosure] = useState('suspended');
  const [closedOn, setClosedOn] = useState(new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }));
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction(props.onDone);
  const { site } = props;
  if (site.closure) {
    return (
      <section class="card" data-testid="closure">
        <h2>经营状态：已{CLOSURE_LABELS[site.closure]}</h2>
        <p>{site.closed_on} · {site.closure_reason}</p>
        {error && <Banner kind="error">{error}</Banner>}
        {site.closure === 'suspended' && <button type="button" class="btn" disabled={busy} onClick={() => void run(
          () => siteAdminApi.reopen(site.id, '恢复营业'), '已恢复营业，重新纳入巡查计划。')}>恢复营业</button>}
      </section>
    );
  }
  return (
    <section class="card" data-testid="closure">
      <h2>歇业 / 注销</h2>
      <p class="muted">歇业或注销的场所不再列入巡查计划。</p>
      <select value={closure} aria-label="歇业或注销" onChange={(e) => setClosure((e.target as HTMLSelectElement).value)}>
        <option value="suspended">歇业</option><option value="deregistered">注销</option>
      </select>
      <label for="sa-closed-on">日期</label>
      <input id="sa-closed-on" type="date" value={closedOn} onInput={(e) => setClosedOn((e.target as HTMLInputElement).value)} />
      <label for="sa-close-reason">原因</label>
      <input id="sa-close-reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      {error && <Banner kind="error">{error}</Banner>}
      <button type="button" class="btn danger" disabled={busy || !reason.trim() || !closedOn} data-testid="close-site"
        onClick={() => void run(() => siteAdminApi.close(site.id, { closure, closed_on: closedOn, reason: reason.trim() }),
          `已登记${CLOSURE_LABELS[closure]}。`)}>确认{CLOSURE_LABELS[closure]}</button>
    </section>
  );
}

function MergeSection(props: { site: AdminSite; onDone: (site: AdminSite, message: string) => void }) {
  const [q, setQ] = useState('');
  const [reason, setReason] = useState('');
  const found = useLoad(() => (q.trim() ? siteAdminApi.search(q.trim()) : Promise.resolve({ items: [] as AdminSite[] })), [q]);
  const { busy, error, run } = useAction(props.onDone);
  const targets = (found.data?.items ?? []).filter((s) => s.id !== props.site.id && s.active !== false);
  return (
    <section class="card" data-testid="merge">
      <h2>合并重复场所</h2>
      <p class="muted">本场所的检查记录、隐患和照片将转入保留的场所，本场所停用；合并记入档案，不可撤销。</p>
      <label for="sa-merge-q">保留的场所</label>
      <input id="sa-merge-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      <label for="sa-merge-reason">说明</label>
      <input id="sa-merge-reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      {error && <Banner kind="error">{error}</Banner>}
      <ul class="list">
        {targets.map((t) => (
          <li key={t.id}>{t.name} <small class="muted">{t.address}</small>{' '}
            <button type="button" class="btn small" disabled={busy} data-testid="merge-target" onClick={() => void run(
              () => siteAdminApi.merge(props.site.id, t.id, reason.trim() || null), `已合并到「${t.name}」。`)}>合并到此</button></li>
        ))}
      </ul>
    </section>
  );
}

function DossierSection(props: { site: AdminSite; onDone: (site: AdminSite, message: string) => void }) {
  const [major, setMajor] = useState(Boolean(props.site.major_hazard_source));
  const [chemicals, setChemicals] = useState(Boolean(props.site.hazardous_chemicals));
  const [licences, setLicences] = useState<Licence[]>(props.site.licences ?? []);
  const [people, setPeople] = useState<ResponsiblePerson[]>(props.site.responsible_persons ?? []);
  const { busy, error, run } = useAction(props.onDone);
  const setLicence = (i: number, patch: Partial<Licence>) => setLicences((l) => l.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  const setPerson = (i: number, patch: Partial<ResponsiblePerson>) => setPeople((l) => l.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  const value = (e: Event) => (e.target as HTMLInputElement).value;
  return (
    <section class="card" data-testid="dossier">
      <h2>一企一档</h2>
      <label class="check"><input type="checkbox" checked={major} onChange={(e) => setMajor((e.target as HTMLInputElement).checked)} /> 重大危险源</label>
      <label class="check"><input type="checkbox" checked={chemicals} onChange={(e) => setChemicals((e.target as HTMLInputElement).checked)} /> 涉及危险化学品</label>
      <h3>证照</h3>
      {licences.map((l, i) => (
        <div key={i} class="filters">
          <input aria-label="证照名称" placeholder="证照名称" value={l.name} onInput={(e) => setLicence(i, { name: value(e) })} />
          <input aria-label="编号" placeholder="编号" value={l.number} onInput={(e) => setLicence(i, { number: value(e) })} />
          <input aria-label="有效期起" type="date" value={l.valid_from ?? ''} onInput={(e) => setLicence(i, { valid_from: value(e) || null })} />
          <input aria-label="有效期止" type="date" value={l.valid_until ?? ''} onInput={(e) => setLicence(i, { valid_until: value(e) || null })} />
          <button type="button" class="btn small" onClick={() => setLicences((x) => x.filter((_, j) => j !== i))}>删除</button>
        </div>
      ))}
      <button type="button" class="btn small" onClick={() => setLicences((x) => [...x, { name: '', number: '', valid_from: null, valid_until: null }])}>
        ＋ 证照</button>
      <h3>安全责任人</h3>
      {people.map((p, i) => (
        <div key={i} class="filters">
          <input aria-label="职责" placeholder="职责（主要负责人、安全管理员…）" value={p.duty} onInput={(e) => setPerson(i, { duty: value(e) })} />
          <input aria-label="姓名" placeholder="姓名" value={p.name} onInput={(e) => setPerson(i, { name: value(e) })} />
          <input aria-label="手机号" placeholder="手机号" value={p.mobile ?? ''} onInput={(e) => setPerson(i, { mobile: value(e) || null })} />
          <button type="button" class="btn small" onClick={() => setPeople((x) => x.filter((_, j) => j !== i))}>删除</button>
        </div>
      ))}
      <button type="button" class="btn small" onClick={() => setPeople((x) => [...x, { duty: '', name: '', mobile: null }])}>＋ 责任人</button>
      {error && <Banner kind="error">{error}</Banner>}
      <div><button type="button" class="btn primary" disabled={busy} data-testid="save-dossier" onClick={() => void run(
        () => siteAdminApi.dossier(props.site.id, { major_hazard_source: major, hazardous_chemicals: chemicals, licences,
          responsible_persons: people }), '一企一档已保存。')}>保存一企一档</button></div>
    </section>
  );
}

export function SiteAdminPage(props: { id: number }) {
  const loaded = useLoad(() => siteAdminApi.site(props.id), [props.id]);
  const [site, setSite] = useState<AdminSite | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => setSite(loaded.data), [loaded.data]);
  const done = (next: AdminSite, text: string) => {
    setMessage(text);
    if (next.id !== props.id) navigate(`/console/sites/${next.id}`);
    else setSite(next);
  };
  return (
    <div data-testid="site-admin">
      <LoadState loaded={loaded}>{() => site && (
        <>
          <div class="page-head"><h1>{site.name}</h1><a href="/console/sites" class="btn small">返回</a></div>
          <p class="muted">{site.grid_name}{site.provisional ? ' · 现场新增，待审核' : ''}
            {site.merged_into_id ? <> · 已合并到 <a href={`/console/sites/${site.merged_into_id}`}>保留的场所</a></> : ''}</p>
          {message && <Banner kind="info" testid="site-admin-message">{message}</Banner>}
          <SiteFilesSection site={site} />
          {(site.allowed_actions ?? []).includes('site.update') && !site.merged_into_id
            && <EditSection key={`e${site.updated_at ?? ''}`} site={site} onDone={done} />}
          {(site.allowed_actions ?? []).includes('site.dossier') && !site.merged_into_id
            && <DossierSection site={site} onDone={done} />}
          {(site.allowed_actions ?? []).includes('site.close') && !site.merged_into_id
            && <CloseSection site={site} onDone={done} />}
          {(site.allowed_actions ?? []).includes('site.merge') && !site.merged_into_id
            && <MergeSection site={site} onDone={done} />}
          <SiteInspectionsSection siteId={site.id} />
        </>
      )}</LoadState>
    </div>
  );
}
