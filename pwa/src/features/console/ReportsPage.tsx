/**
 * 举报 (群众举报 triage): the queue with filters, and one report with its photos and the four decisions —
 * 立案 (into a hazard routed to its department), 不予立案 with a reason the reporter reads, 并案 into an earlier
 * report or a hazard, and 举报奖励 once accepted.
 */
import { useEffect, useState } from 'preact/hooks';
import { HttpError } from '../../api/http';
import { sessionStore } from '../../app-state';
import { navigate } from '../../router';
import { useStore } from '../../store';
import { Banner } from '../../ui/components';
import { REPORT_STATS_PATH, takeEarly, triagesReports } from './early';
import { day } from './logic';
import {
  fieldMessages, photoUrl, share, triageApi, type Candidates, type Option, type TriageReport,
} from './triage-api';
import './triage.css';
import { FieldError, ReasonForm, decide } from './ReasonForm';
import { LoadState, StatCard, useLoad } from './ui';
import { RegionPicker } from './RegionPicker';

const STATUS_FILTERS: [string, string][] = [
  ['received', '待分拣'], ['accepted', '已立案'], ['rejected', '不予立案'], ['merged', '已并案'], ['', '全部'],
];
const REWARD_LABELS: Record<string, string> = { pending: '待审批', approved: '已批准', paid: '已发放' };

function time(iso: string | null | undefined): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso ?? '');
  return m ? `${m[1]} ${m[2]}` : '';
}

/** The 举报 tab's badge: reports waiting for a person, re-read whenever the console changes page. */
export function ReportsBadge(props: { path: string }) {
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    triageApi.count().then((c) => live && setCount(c.untriaged)).catch(() => live && setCount(null));
    return () => { live = false; };
  }, [props.path]);
  if (!count) return null;
  return <span class="nav-badge" data-testid="reports-badge" aria-label={`${count} 件待分拣`}>{count}</span>;
}

export function ReportsPage(props: { query: URLSearchParams }) {
  const q = props.query;
  const status = q.get('status') ?? 'received';
  const regionId = q.get('region_id') ?? '';
  const from = q.get('from') ?? '';
  const to = q.get('to') ?? '';
  const page = Number(q.get('page') ?? '1') || 1;
  const regions = useLoad(() => triageApi.regions(), []);
  const loaded = useLoad(() => triageApi.reports({ status: status || null, region_id: regionId || null,
    from: from || null, to: to || null, page, per_page: 20 }), [status, regionId, from, to, page]);
  const go = (change: Record<string, string>) => {
    const next = new URLSearchParams(q);
    for (const [k, v] of Object.entries(change)) {
      if (v) next.set(k, v); else next.delete(k);
    }
    if (!('page' in change)) next.delete('page');
    if (!next.has('status') && change.status === '') next.set('status', '');
    navigate(`/console/reports?${next.toString()}`);
  };
  const dateError = from && to && from > to ? '开始日期不能晚于结束日期。' : null;
  return (
    <div data-testid="reports">
      <div class="page-head">
        <h1>群众举报</h1>
        <span class="muted">{loaded.data ? `共 ${loaded.data.total} 件` : ''}</span>
      </div>
      <div class="filters triage-filters" role="search">
        <div class="chips" role="group" aria-label="状态">
          {STATUS_FILTERS.map(([value, label]) => (
            <button key={value} type="button" class={`chip${status === value ? ' on' : ''}`} aria-pressed={status === value}
              data-testid={`status-${value || 'all'}`} onClick={() => go({ status: value })}>{label}</button>
          ))}
        </div>
        <RegionPicker label="区域" regions={regions.data ?? []} value={regionId ? Number(regionId) : null}
          emptyLabel="全部区域" testid="filter-region" onChange={(id) => go({ region_id: id ? String(id) : '' })} />
        <label class="inline">收到日期
          <input type="date" value={from} aria-label="开始日期" data-testid="filter-from"
            onChange={(e) => go({ from: (e.target as HTMLInputElement).value })} />
          至
          <input type="date" value={to} aria-label="结束日期" data-testid="filter-to"
            onChange={(e) => go({ to: (e.target as HTMLInputElement).value })} />
        </label>
        {dateError && <span class="field-error" role="alert">{dateError}</span>}
      </div>
      <LoadState loaded={loaded}>{(d) => (
        <>
          {d.items.length === 0 && <p class="muted" data-testid="reports-empty">没有符合条件的举报。</p>}
          <ul class="report-list">
            {d.items.map((r) => (
              <li key={r.id}>
                <a class="report-card" href={`/console/reports/${r.id}`} data-testid="report-row" data-id={r.id}>
                  <span class={`badge triage-${r.status}`}>{r.status_label}</span>
                  {r.triage_overdue && <span class="badge triage-overdue">超期未分拣</span>}
                  <b class="report-text">{r.description}</b>
                  <small>{r.site_name ?? r.address ?? r.region_name} · 收到 {time(r.received_at)}
                    {r.status === 'received' ? ` · 分拣期限 ${time(r.triage_due_at)}` : ''}
                    {r.photo_ids.length ? ` · ${r.photo_ids.length} 张照片` : ''}</small>
                </a>
              </li>
            ))}
          </ul>
          {d.total > d.per_page && (
            <div class="button-row">
              <button type="button" class="btn small" disabled={page <= 1} onClick={() => go({ page: String(page - 1) })}>上一页</button>
              <span class="muted">第 {page} / {Math.ceil(d.total / d.per_page)} 页</span>
              <button type="button" class="btn small" disabled={page * d.per_page >= d.total}
                onClick={() => go({ page: String(page + 1) })}>下一页</button>
            </div>
          )}
        </>
      )}</LoadState>
    </div>
  );
}

export function ReportPage(props: { id: number }) {
  const loaded = useLoad(() => triageApi.report(props.id), [props.id]);
  const [notice, setNotice] = useState<string | null>(null);
  const done = (message: string) => {
    setNotice(message);
    loaded.reload();
  };
  return (
    <div data-testid="report-detail">
      <div class="page-head"><h1>举报详情</h1>
        <a class="btn small" href="/console/reports">返回举报列表</a></div>
      {notice && <Banner kind="info" testid="triage-notice">{notice}</Banner>}
      <LoadState loaded={loaded}>{(r) => (
        <>
          <Facts report={r} />
          {r.photo_ids.length > 0 && (
            <section class="panel"><h2>举报人上传的照片</h2>
              <div class="report-photos">
                {r.photo_ids.map((p, i) => (
                  <a key={p} href={photoUrl(r.id, p)} target="_blank" rel="noopener">
                    <img src={photoUrl(r.id, p, true)} alt={`举报照片 ${i + 1}`} data-testid="report-photo" />
                  </a>
                ))}
              </div>
            </section>
          )}
          {r.status === 'received' && <Decisions report={r} onDone={done} />}
          {r.status === 'accepted' && <Reward report={r} onDone={done} />}
        </>
      )}</LoadState>
    </div>
  );
}

function Facts(props: { report: TriageReport }) {
  const r = props.report;
  return (
    <dl class="facts" data-testid="report-facts">
      <dt>分拣状态</dt><dd><span class={`badge triage-${r.status}`} data-testid="report-status">{r.status_label}</span>
        {r.triage_overdue && <span class="badge triage-overdue">超期未分拣</span>}</dd>
      <dt>举报人看到</dt><dd data-testid="report-public-status">{r.public_status_label}</dd>
      <dt>收到时间</dt><dd>{time(r.received_at)}</dd>
      <dt>分拣期限</dt><dd>{time(r.triage_due_at)}</dd>
      {r.triaged_at && <><dt>处理时间</dt><dd>{time(r.triaged_at)}</dd></>}
      <dt>地点</dt><dd>{r.site_name ? `${r.site_name}（${r.region_name}）` : [r.address, r.region_name].filter(Boolean).join('，')}</dd>
      <dt>联系电话</dt><dd>{r.phone ?? '未留'}{r.phone && r.sms_consent ? '（同意短信告知结果）' : ''}</dd>
      {(r.feedback ?? []).map((f) => (
        <>
          <dt>举报人反馈</dt>
          <dd data-testid="report-feedback">{time(f.answered_at)}：{f.solved ? '问题已解决' : `问题没有解决，已重新受理${f.note ? `。“${f.note}”` : ''}`}</dd>
        </>
      ))}
      <dt>举报内容</dt><dd class="prewrap" data-testid="report-description">{r.description}</dd>
      {r.hazard_id && <><dt>立案隐患</dt><dd><a href={`/console/hazards/${r.hazard_id}`} data-testid="report-hazard">{r.hazard_number}</a></dd></>}
      {r.rejection_reason && <><dt>不予立案理由</dt><dd data-testid="report-reason">{r.rejection_reason}</dd></>}
      {r.duplicate_of_report_id && <><dt>并入举报</dt>
        <dd><a href={`/console/reports/${r.duplicate_of_report_id}`} data-testid="merged-into">第 {r.duplicate_of_report_id} 号举报</a></dd></>}
      {r.duplicate_of_hazard_id && <><dt>并入隐患</dt>
        <dd><a href={`/console/hazards/${r.duplicate_of_hazard_id}`} data-testid="merged-into">{r.duplicate_of_hazard_number}</a></dd></>}
      {r.reward_status && <><dt>举报奖励</dt><dd data-testid="report-reward">{r.reward_amount} 元，{REWARD_LABELS[r.reward_status]}</dd></>}
    </dl>
  );
}

type Mode = 'accept' | 'reject' | 'merge';

function Decisions(props: { report: TriageReport; onDone: (message: string) => void }) {
  const [mode, setMode] = useState<Mode | null>(null);
  return (
    <section class="panel" data-testid="triage-actions">
      <h2>分拣处理</h2>
      <div class="button-row" role="group" aria-label="处理方式">
        <button type="button" class={`btn${mode === 'accept' ? ' primary' : ''}`} aria-pressed={mode === 'accept'}
          data-testid="choose-accept" onClick={() => setMode('accept')}>立案</button>
        <button type="button" class={`btn${mode === 'reject' ? ' primary' : ''}`} aria-pressed={mode === 'reject'}
          data-testid="choose-reject" onClick={() => setMode('reject')}>不予立案</button>
        <button type="button" class={`btn${mode === 'merge' ? ' primary' : ''}`} aria-pressed={mode === 'merge'}
          data-testid="choose-merge" onClick={() => setMode('merge')}>并案（重复举报）</button>
      </div>
      {mode === 'accept' && <AcceptForm report={props.report} onDone={props.onDone} />}
      {mode === 'reject' && <RejectForm report={props.report} onDone={props.onDone} />}
      {mode === 'merge' && <MergeForm report={props.report} onDone={props.onDone} />}
    </section>
  );
}

/** 409: someone else decided first — say so plainly and show the report as it now is. */
function conflictText(e: unknown): string | null {
  return e instanceof HttpError && e.status === 409 ? `${e.problem.detail}页面已刷新为最新状态。` : null;
}

function AcceptForm(props: { report: TriageReport; onDone: (message: string) => void }) {
  const r = props.report;
  const [level, setLevel] = useState('general');
  const [domain, setDomain] = useState(r.category);
  const [description, setDescription] = useState(r.description);
  const [departmentId, setDepartmentId] = useState('');
  const [siteQuery, setSiteQuery] = useState('');
  const [sites, setSites] = useState<Option[] | null>(null);
  const [siteId, setSiteId] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const domains = useLoad(() => triageApi.domains(), []);
  const departments = useLoad(() => triageApi.departments(), []);
  const findSites = async () => {
    try {
      setSites((await triageApi.sites(siteQuery.trim())).items);
    } catch (e) {
      setErrors({ site_id: fieldMessages(e)._ ?? '查询场所失败。' });
    }
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (description.trim().length < 2) local.description = '请填写隐患描述（至少 2 个字）。';
    if (!r.site_id && !siteId) local.site_id = '该举报未关联场所，请先查找并选择场所。';
    setErrors(local);
    if (Object.keys(local).length) return;
    await decide(async () => {
      const done = await triageApi.accept(r.id, {
        level, domain, description: description.trim(),
        ...(r.site_id ? {} : { site_id: Number(siteId) }),
        ...(departmentId ? { department_id: Number(departmentId) } : {}),
      });
      return `已立案，生成隐患 ${done.hazard_number}。举报人查询页现显示「${done.public_status_label}」。`;
    }, { conflict: conflictText, onDone: props.onDone, setErrors, setBusy });
  };
  return (
    <form class="triage-form" onSubmit={submit} noValidate data-testid="accept-form">
      <fieldset><legend>隐患等级</legend>
        <label class="inline check"><input type="radio" name="level" checked={level === 'general'} onChange={() => setLevel('general')} />一般</label>
        <label class="inline check"><input type="radio" name="level" checked={level === 'major'} onChange={() => setLevel('major')} data-testid="level-major" />重大</label>
      </fieldset>
      <label for="a-domain">监管领域</label>
      <select id="a-domain" value={domain} onChange={(e) => setDomain((e.target as HTMLSelectElement).value)}>
        {(domains.data ?? [{ code: r.category, label: r.category }]).map((d) => <option key={d.code} value={d.code}>{d.label}</option>)}
      </select>
      <FieldError id="e-domain" message={errors.domain} />
      <label for="a-description">隐患描述</label>
      <textarea id="a-description" rows={3} value={description} aria-describedby="e-description"
        onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
      <FieldError id="e-description" message={errors.description} />
      {!r.site_id && (
        <>
          <label for="a-site-q">所在场所（举报未关联场所，须指定）</label>
          <div class="inline-form">
            <input id="a-site-q" type="search" value={siteQuery} placeholder="场所名称、地址或信用代码"
              onInput={(e) => setSiteQuery((e.target as HTMLInputElement).value)} />
            <button type="button" class="btn small" onClick={findSites}>查找场所</button>
          </div>
          {sites && (
            <select value={siteId} aria-label="选择场所" aria-describedby="e-site" data-testid="site-select"
              onChange={(e) => setSiteId((e.target as HTMLSelectElement).value)}>
              <option value="">{sites.length ? '请选择场所' : '没有找到场所'}</option>
              {sites.map((s) => <option key={s.id} value={String(s.id)}>{s.name}</option>)}
            </select>
          )}
          <FieldError id="e-site" message={errors.site_id} />
        </>
      )}
      <label for="a-dept">责任部门</label>
      <select id="a-dept" value={departmentId} onChange={(e) => setDepartmentId((e.target as HTMLSelectElement).value)}>
        <option value="">按监管领域自动确定</option>
        {(departments.data ?? []).map((d) => <option key={d.id} value={String(d.id)}>{d.name}</option>)}
      </select>
      <FieldError id="e-dept" message={errors.department_id} />
      <FieldError id="e-accept" message={errors._ ?? errors.level} />
      <button type="submit" class="btn primary" disabled={busy} data-testid="confirm-accept">{busy ? '正在立案…' : '确认立案'}</button>
    </form>
  );
}

function RejectForm(props: { report: TriageReport; onDone: (message: string) => void }) {
  return (
    <ReasonForm label="不予立案的理由（举报人会在查询页看到）" missing="请写明不予立案的理由（举报人会看到）。"
      confirm="确认不予立案" inputId="r-reason" errorId="e-reason" testid="reject-form" confirmTestid="confirm-reject"
      conflict={conflictText} onDone={props.onDone}
      send={async (reason) => {
        await triageApi.reject(props.report.id, reason);
        return '已不予立案，举报人可在查询页看到理由。';
      }} />
  );
}

function MergeForm(props: { report: TriageReport; onDone: (message: string) => void }) {
  const loaded = useLoad(() => triageApi.candidates(props.report.id), [props.report.id]);
  const [choice, setChoice] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!choice) {
      setErrors({ report_id: '请选择要并入的举报或隐患。' });
      return;
    }
    const [kind, id] = choice.split(':');
    await decide(async () => {
      await triageApi.merge(props.report.id, kind === 'hazard' ? { hazard_id: Number(id) } : { report_id: Number(id) });
      return '已并案，举报人查询页将随被并入的举报或隐患显示办理进度。';
    }, { conflict: conflictText, onDone: props.onDone, setErrors, setBusy });
  };
  return (
    <form class="triage-form" onSubmit={submit} noValidate data-testid="merge-form">
      <LoadState loaded={loaded}>{(c: Candidates) => (
        <fieldset aria-describedby="e-merge"><legend>并入（同一地点 30 天内的举报、该场所未闭环的隐患）</legend>
          {c.reports.length === 0 && c.hazards.length === 0 && <p class="muted">没有可并入的举报或隐患。</p>}
          {c.hazards.map((h) => (
            <label key={`h${h.id}`} class="choice" data-testid="merge-choice">
              <input type="radio" name="into" value={`hazard:${h.id}`} checked={choice === `hazard:${h.id}`}
                onChange={() => setChoice(`hazard:${h.id}`)} />
              <span>隐患 {h.number}（{h.status_label}）：{h.description}</span>
            </label>
          ))}
          {c.reports.map((o) => (
            <label key={`r${o.id}`} class="choice" data-testid="merge-choice">
              <input type="radio" name="into" value={`report:${o.id}`} checked={choice === `report:${o.id}`}
                onChange={() => setChoice(`report:${o.id}`)} />
              <span>举报（{o.status_label}，{day(o.received_at)}）：{o.description}</span>
            </label>
          ))}
        </fieldset>
      )}</LoadState>
      <FieldError id="e-merge" message={errors.report_id ?? errors.hazard_id ?? errors._} />
      <button type="submit" class="btn primary" disabled={busy} data-testid="confirm-merge">{busy ? '正在并案…' : '确认并案'}</button>
    </form>
  );
}

function Reward(props: { report: TriageReport; onDone: (message: string) => void }) {
  const r = props.report;
  const [amount, setAmount] = useState(r.reward_amount ?? '');
  const [status, setStatus] = useState<string>(r.reward_status ?? 'pending');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const value = Number(amount);
    if (!amount.trim() || !Number.isFinite(value) || value < 0 || value > 1_000_000) {
      setErrors({ amount: '请填写 0 到 1000000 之间的金额（元）。' });
      return;
    }
    setBusy(true);
    try {
      await triageApi.reward(r.id, value.toFixed(2), status);
      props.onDone('举报奖励已记录。');
    } catch (e) {
      setErrors(fieldMessages(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel"><h2>举报奖励</h2>
      <form class="triage-form" onSubmit={submit} noValidate data-testid="reward-form">
        <label for="w-amount">奖励金额（元）</label>
        <input id="w-amount" type="text" inputMode="decimal" value={amount} aria-describedby="e-amount"
          onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
        <FieldError id="e-amount" message={errors.amount} />
        <label for="w-status">发放进度</label>
        <select id="w-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
          {Object.entries(REWARD_LABELS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
        </select>
        <FieldError id="e-reward" message={errors._ ?? errors.status} />
        <button type="submit" class="btn primary" disabled={busy} data-testid="save-reward">保存奖励</button>
      </form>
    </section>
  );
}

/** 群众举报 this month on the overview: received, waiting, triaged on time, and 办结率 (closed ÷ accepted). */
export function ReportFigures() {
  const session = useStore(sessionStore);
  // Only supervisors and administrators triage reports (an inspector's figures would all be 0).
  const triages = triagesReports(session?.user.grants);
  const loaded = useLoad(() => (triages ? takeEarly(REPORT_STATS_PATH, triageApi.stats) : Promise.resolve(null)),
    [triages]);
  const t = loaded.data?.total;
  if (!triages || !t) return null;
  return (
    <section class="panel" data-testid="report-figures">
      <header class="panel-head"><h2>群众举报 · 本月</h2><a class="btn small" href="/console/reports">去分拣</a></header>
      <div class="cards small">
        <StatCard label="收到" value={t.received} testid="reports-received" />
        <StatCard label="待分拣" value={t.untriaged} testid="reports-untriaged" tone={t.untriaged ? 'warn' : undefined}
          href="/console/reports" />
        <StatCard label="按时分拣率（期限内分拣 ÷ 已分拣）" value={share(t.triaged_on_time, t.triaged)} testid="reports-on-time" />
        <StatCard label="办结率（已办结 ÷ 已立案）" value={share(t.closed, t.accepted)} testid="reports-closed-share" />
        <StatCard label="分拣用时中位数" value={t.median_triage_hours === null ? '—' : `${t.median_triage_hours} 小时`}
          testid="reports-median" />
      </div>
    </section>
  );
}
