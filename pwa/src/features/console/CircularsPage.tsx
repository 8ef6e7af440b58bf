/**
 * 通报: drafts (from the scheduled jobs or made here) are reviewed, their commentary edited, then published —
 * publishing records a `reported` event on every named hazard. Published circulars are archived for download.
 */
import { useState } from 'preact/hooks';
import { HttpError, apiPath, request } from '../../api/http';
import { navigate } from '../../router';
import { Banner, formatTime } from '../../ui/components';
import type { CircularDetail, CircularFigure, CircularSummary } from './api';
import { consoleApi } from './api';
import { CIRCULAR_SCOPE_LABELS, PERIOD_LABELS, day, percent } from './logic';
import { ListTable, RecordState, errorText, useLoad } from './ui';
import { CircularPreview } from './CircularPreview';

/** PDF and XLSX under their Chinese names (the server sends the same names in Content-Disposition). */
function Downloads(props: { circular: CircularSummary }) {
  const { id, file_names: names } = props.circular;
  return (
    <span class="downloads">
      <a href={apiPath(`/circulars/${id}.pdf`)} download={names?.pdf ?? ''} title={names?.pdf} data-testid="download-pdf">PDF</a>
      {' · '}<a href={apiPath(`/circulars/${id}.xlsx`)} download={names?.xlsx ?? ''} title={names?.xlsx}
        data-testid="download-xlsx">XLSX</a>
      {' · '}<a href={apiPath(`/circulars/${id}.html`)} target="_blank" rel="noopener">网页版</a>
    </span>
  );
}

/** 「75.0%（3/4）」: a rate always with what it divides. */
function rateText(numerator: number | null | undefined, denominator: number | null | undefined, rate: number | null | undefined): string {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined) return percent(rate);
  return `${percent(rate)}（${numerator}/${denominator}）`;
}

/** "2026年11月第4周" when the server titles the period, else its days (the end is exclusive: the day before). */
function periodText(period: CircularSummary['period'] | undefined): string {
  if (!period) return '';
  if (period.title) return `${PERIOD_LABELS[period.kind] ?? ''} ${period.title}`;
  const last = period.end ? new Date(new Date(period.end).getTime() - 1).toISOString() : null;
  return `${PERIOD_LABELS[period.kind] ?? ''} ${day(period.start)} – ${day(last)}`;
}

interface ScopeOption { key: string; label: string; body: Record<string, unknown> }

/** The scopes a draft may cover that this user sees: their districts, streets (parks) and departments. */
async function draftScopes(): Promise<ScopeOption[]> {
  type Region = { id: number; name: string; level: string };
  type Department = { id: number; name: string; region_id: number };
  const [districts, streets, parks, departments] = await Promise.all([
    request<Region[]>('GET', apiPath('/regions?level=district')),
    request<Region[]>('GET', apiPath('/regions?level=street')),
    request<Region[]>('GET', apiPath('/regions?level=park')),
    request<Department[]>('GET', apiPath('/departments')),
  ]);
  const mine = new Set((districts.data ?? []).map((d) => d.id));
  return [
    ...(districts.data ?? []).map((r) => ({ key: `d${r.id}`, label: `全区：${r.name}`, body: { scope_kind: 'district', region_id: r.id } })),
    ...[...(streets.data ?? []), ...(parks.data ?? [])].map((r) => ({
      key: `s${r.id}`, label: `街道：${r.name}`, body: { scope_kind: 'street', region_id: r.id } })),
    ...(departments.data ?? []).filter((d) => mine.has(d.region_id)).map((d) => ({
      key: `p${d.id}`, label: `部门：${d.name}`, body: { scope_kind: 'department', department_id: d.id } })),
  ];
}

function NewDraft(props: { onCreated: (c: CircularDetail) => void }) {
  const scopes = useLoad(draftScopes, []);
  const [period, setPeriod] = useState('week');
  const [scope, setScope] = useState('');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const options = scopes.data ?? [];
  const chosen = options.find((o) => o.key === scope) ?? options[0];
  async function create(e: Event) {
    e.preventDefault();
    if (!chosen) return;
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { ...chosen.body, period_kind: period };
      if (period === 'custom') {
        if (!start || !end) {
          setError('自定义周期请选择起止日期。');
          return;
        }
        Object.assign(body, { start, end });
      }
      props.onCreated(await consoleApi.createDraft(body));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  if (options.length === 0) return null;
  return (
    <form class="inline-form" onSubmit={(e) => void create(e)} data-testid="new-draft">
      <label class="inline">范围
        <select value={chosen?.key} onChange={(e) => setScope((e.target as HTMLSelectElement).value)}>
          {options.map((o) => <option key={o.key} value={o.key}>{o.label}</option>)}
        </select>
      </label>
      <label class="inline">周期
        <select value={period} onChange={(e) => setPeriod((e.target as HTMLSelectElement).value)}>
          <option value="week">本周</option><option value="month">本月</option><option value="custom">自定义</option>
        </select>
      </label>
      {period === 'custom' && <>
        <input type="date" aria-label="开始日期" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} />
        <input type="date" aria-label="结束日期" value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} />
      </>}
      <button type="submit" class="btn small" disabled={busy}>生成通报草稿</button>
      <CircularPreview scope={chosen?.body} period={period} />
      {error && <Banner kind="error">{error}</Banner>}
    </form>
  );
}

export function CircularListPage(props: { query: URLSearchParams }) {
  const asked = props.query.get('status');
  const status = asked === 'published' || asked === 'archived' ? asked : 'draft';
  const loaded = useLoad(() => consoleApi.circulars(status), [status]);
  return (
    <div data-testid="circulars">
      <div class="page-head"><h1>通报</h1></div>
      <div class="page-tools">
        <div class="chips" role="group" aria-label="状态">
          <button type="button" aria-pressed={status === 'draft'} data-testid="tab-draft"
            onClick={() => navigate('/console/circulars?status=draft', { replace: true })}>待审草稿</button>
          <button type="button" aria-pressed={status === 'published'} data-testid="tab-published"
            onClick={() => navigate('/console/circulars?status=published', { replace: true })}>已发布</button>
          <button type="button" aria-pressed={status === 'archived'} data-testid="tab-archived"
            onClick={() => navigate('/console/circulars?status=archived', { replace: true })}>已归档</button>
        </div>
        {status === 'draft' && <NewDraft onCreated={(c) => navigate(`/console/circulars/${c.id}`)} />}
      </div>
      <ListTable loaded={loaded} class="grid-table wide" testid="circular-table" columns={9}
        empty={status === 'draft' ? '没有待审的草稿。' : '没有通报。'}
        head={<><th>标题</th><th>范围</th><th>周期</th><th class="num">发现</th><th class="num">整改闭环</th>
          <th class="num">累计逾期</th><th class="num">按期整改率（按期/到期）</th><th>{status === 'draft' ? '生成时间' : '发布时间'}</th>
          {status !== 'draft' && <th>下载</th>}</>}
        row={(c: CircularSummary) => (
          <tr key={c.id} data-testid="circular-row" data-id={c.id}>
            <td><a href={`/console/circulars/${c.id}`}>{c.title}</a></td>
            <td>{c.scope?.name ?? CIRCULAR_SCOPE_LABELS[c.scope?.kind] ?? ''}</td>
            <td>{periodText(c.period)}</td>
            <td class="num">{c.totals?.found ?? '—'}</td>
            <td class="num">{c.totals?.rectified ?? '—'}</td>
            <td class="num">{c.totals?.overdue ?? '—'}</td>
            <td class="num">{rateText(c.totals?.on_time, c.totals?.due, c.totals?.on_time_rate)}</td>
            <td>{formatTime(status === 'draft' ? c.created_at : c.published_at)}</td>
            {status !== 'draft' && <td><Downloads circular={c} /></td>}
          </tr>
        )} />
    </div>
  );
}

type Line = Record<string, unknown>;

/** A section of the circular's content: a list of hazards, sites or grids, shown as a small table. */
function LinesTable(props: { title: string; lines: Line[] | undefined; columns: [string, string][]; testid: string }) {
  if (!props.lines || props.lines.length === 0) return <><h3>{props.title}</h3><p class="muted">无。</p></>;
  return (
    <>
      <h3>{props.title}（{props.lines.length}）</h3>
      <div class="table-wrap">
        <table class="grid-table" data-testid={props.testid}>
          <thead><tr>{props.columns.map(([, label]) => <th key={label}>{label}</th>)}</tr></thead>
          <tbody>
            {props.lines.map((line, i) => (
              <tr key={i}>{props.columns.map(([key]) => {
                const value = line[key];
                if (key === 'number' && (line.id ?? line.hazard_id)) {
                  return <td key={key}><a href={`/console/hazards/${line.id ?? line.hazard_id}`}>{String(value ?? '')}</a></td>;
                }
                if (key.endsWith('_rate')) return <td key={key} class="num">{percent(value as number | null)}</td>;
                if (key.endsWith('_at')) return <td key={key}>{day(value as string)}</td>;
                return <td key={key}>{value === null || value === undefined ? '—' : String(value)}</td>;
              })}</tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function pick(content: Record<string, unknown>, ...keys: string[]): Line[] | undefined {
  for (const k of keys) if (Array.isArray(content[k])) return content[k] as Line[];
  return undefined;
}

const HAZARD_COLUMNS: [string, string][] = [['number', '编号'], ['site', '场所'], ['level', '级别'],
  ['responsible_department', '责任单位'], ['deadline_at', '期限'], ['description', '隐患']];

function CircularBody(props: { circular: CircularDetail; onChange: (c: CircularDetail) => void }) {
  const c = props.circular;
  const content = (c.content && typeof c.content === 'object' ? c.content : c) as Record<string, unknown>;
  const draft = c.status === 'draft';
  const allowed = c.allowed_actions ?? (draft ? ['edit', 'publish'] : []);
  const editable = draft && allowed.includes('edit');
  const [title, setTitle] = useState(c.title);
  const [commentary, setCommentary] = useState(c.commentary ?? '');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const dirty = title !== c.title || commentary !== (c.commentary ?? '');
  const figures = (Array.isArray(c.figures) ? c.figures : []) as CircularFigure[];
  const rankingNote = typeof c.ranking_note === 'string' ? c.ranking_note : null;

  async function save(): Promise<CircularDetail | null> {
    setBusy(true);
    setMessage(null);
    try {
      const saved = await consoleApi.saveCircular(c.id, { title, commentary, version: c.version });
      props.onChange(saved);
      setMessage({ kind: 'info', text: '已保存。' });
      return saved;
    } catch (e) {
      const stale = e instanceof HttpError && e.status === 409;
      setMessage({ kind: 'error', text: stale ? '他人已修改此草稿：请刷新后再编辑（您的修改未保存）。' : errorText(e) });
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function publish() {
    const saved = dirty ? await save() : null;
    if (dirty && !saved) return;
    setBusy(true);
    try {
      const published = await consoleApi.publishCircular(c.id, saved?.version ?? c.version);
      props.onChange(published?.id ? published : await consoleApi.circular(c.id));
      setMessage({ kind: 'info', text: '已发布：通报中点名的隐患均已记录“已通报”。' });
    } catch (e) {
      setMessage({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  async function archive() {
    setBusy(true);
    try {
      props.onChange(await consoleApi.archiveCircular(c.id));
      setMessage({ kind: 'info', text: '已归档。' });
    } catch (e) {
      setMessage({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div data-testid="circular" data-status={c.status}>
      <div class="page-head">
        <h1 data-testid="circular-title">{c.title}</h1>
        <span class={`badge ${draft ? 'status-awaiting_verification' : 'status-closed'}`} data-testid="circular-status">
          {draft ? '草稿' : c.status === 'archived' ? '已归档' : '已发布'}</span>
        {!draft && <Downloads circular={c} />}
        {allowed.includes('archive') && <button type="button" class="btn small" disabled={busy} onClick={() => void archive()}>归档</button>}
        <a class="btn small" href={`/console/circulars?status=${c.status}`}>返回列表</a>
      </div>
      <p class="muted">{c.scope?.name} · {periodText(c.period)}
        {c.published_at ? ` · 发布于 ${formatTime(c.published_at)}` : ''}</p>
      <div class="cards small" data-testid="circular-figures">
        {figures.map((f) => (
          <div key={f.key} class={`stat-card${f.key === 'late' || f.key === 'overdue' ? ' tone-bad' : ''}`}
            data-testid="figure" data-key={f.key} title={f.definition}>
            <span class="stat-label">{f.label}</span>
            <b data-testid="figure-value">{f.is_rate ? percent(f.value) : f.text}</b>
            {f.is_rate && f.denominator_label &&
              <small class="muted" data-testid="figure-denominator">{f.numerator ?? '—'}/{f.denominator ?? '—'}（分母：{f.denominator_label}）</small>}
            {!f.is_rate && f.denominator_label &&
              <small class="muted" data-testid="figure-denominator">{f.denominator_label} {f.denominator ?? '—'} 项中</small>}
          </div>
        ))}
      </div>
      {figures.length > 0 && (
        <details class="panel" data-testid="figure-definitions">
          <summary>指标口径</summary>
          <dl>{figures.map((f) => [<dt key={`${f.key}-t`}>{f.label}</dt>, <dd key={`${f.key}-d`}>{f.definition}</dd>])}</dl>
        </details>
      )}

      {editable ? (
        <section class="panel" data-testid="circular-editor">
          <h2>审核与点评</h2>
          <label for="c-title">标题</label>
          <input id="c-title" type="text" value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
          <label for="c-commentary">点评意见</label>
          <textarea id="c-commentary" rows={6} value={commentary} data-testid="commentary"
            onInput={(e) => setCommentary((e.target as HTMLTextAreaElement).value)} />
          <div class="button-row">
            <button type="button" class="btn" disabled={busy || !dirty} data-testid="save" onClick={() => void save()}>保存草稿</button>
            {!allowed.includes('publish') ? null : confirming ? <>
              <button type="button" class="btn primary" disabled={busy} data-testid="confirm-publish" onClick={() => void publish()}>
                确认发布（点名隐患将记录“已通报”）</button>
              <button type="button" class="btn" onClick={() => setConfirming(false)}>取消</button>
            </> : <button type="button" class="btn primary" disabled={busy} data-testid="publish" onClick={() => setConfirming(true)}>发布</button>}
          </div>
        </section>
      ) : c.commentary ? <section class="panel"><h2>点评意见</h2><p class="prewrap" data-testid="commentary-text">{c.commentary}</p></section> : null}
      {message && <Banner kind={message.kind} testid="circular-message">{message.text}</Banner>}

      <section class="panel">
        <LinesTable title="逾期未整改（责任单位）" lines={pick(content, 'overdue', 'overdue_items')} columns={HAZARD_COLUMNS} testid="c-overdue" />
        <LinesTable title="重大隐患" lines={pick(content, 'major', 'major_items')} columns={HAZARD_COLUMNS} testid="c-major" />
        <LinesTable title="本期挂牌督办" lines={pick(content, 'supervised', 'supervised_items')} columns={HAZARD_COLUMNS} testid="c-supervised" />
        <LinesTable title="屡查屡犯单位" lines={pick(content, 'repeat_offenders')}
          columns={[['site', '场所'], ['inspections', '查出隐患的检查次数'], ['hazards', '涉及隐患数']]} testid="c-repeat" />
        <h3>网格按期整改排名</h3>
        {rankingNote ? <p class="muted" data-testid="c-ranking-note">{rankingNote}。</p> : (
          <div class="columns">
            <div><LinesTable title="较好的网格" lines={pick(content, 'best_grids')}
              columns={[['grid', '网格'], ['due', '本期到期'], ['on_time', '按期整改'], ['on_time_rate', '按期整改率']]} testid="c-best" /></div>
            <div><LinesTable title="较差的网格" lines={pick(content, 'worst_grids')}
              columns={[['grid', '网格'], ['due', '本期到期'], ['on_time', '按期整改'], ['on_time_rate', '按期整改率']]} testid="c-worst" /></div>
          </div>
        )}
        <p class="muted">点名隐患 {c.hazard_ids?.length ?? 0} 项。</p>
      </section>
    </div>
  );
}

export function CircularPage(props: { id: number }) {
  const loaded = useLoad(() => consoleApi.circular(props.id), [props.id]);
  return (
    <RecordState loaded={loaded}>{(c, onChange) => <CircularBody key={c.id} circular={c} onChange={onChange} />}</RecordState>
  );
}
