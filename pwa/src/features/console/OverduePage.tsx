/**
 * 超期督办: overdue and due-soon hazards, sorted and filtered on the server; select rows and remind,
 * escalate, approve or refuse their extension requests — each row's answer shown beside it.
 */
import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../../router';
import { Banner, formatTime } from '../../ui/components';
import { LEVEL_LABELS, STATUS_LABELS } from '../hazards/logic';
import type { BulkAction, BulkResult, CursorPage, OverdueRow } from './api';
import { consoleApi, exportUrl, queryString } from './api';
import { BULK_LABELS, DOMAIN_LABELS, RUNG_LABELS, apiSort, day, nextSort, parseApiSort } from './logic';
import { ExportLink, SortHeader, errorText } from './ui';

const WINDOWS: [string, string][] = [['overdue', '已逾期'], ['due_soon', '即将到期'], ['all_open', '全部未闭环']];
const FILTER_KEYS = ['window', 'sort', 'region_id', 'department_id', 'level', 'domain', 'extension_requested', 'q'];

/** The enterprise's contact: in full (a number to call) for those allowed, else masked. */
function Contact(props: { enterprise: OverdueRow['enterprise'] | undefined }) {
  const e = props.enterprise;
  if (!e) return null;
  const mobile = e.contact ? /1\d{10}/.exec(e.contact)?.[0] : undefined;
  return (
    <small data-testid="enterprise-contact">{e.name}
      {e.contact ? <> · {mobile ? <a href={`tel:${mobile}`}>{e.contact}</a> : e.contact}</>
        : e.contact_masked ? ` · ${e.contact_masked}` : ''}</small>
  );
}

export function OverduePage(props: { query: URLSearchParams }) {
  const filters: Record<string, string | null> = {};
  for (const k of FILTER_KEYS) filters[k] = props.query.get(k);
  filters.window ??= 'overdue';
  const sort = parseApiSort(filters.sort);
  const key = queryString(filters);

  const [page, setPage] = useState<CursorPage<OverdueRow> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [results, setResults] = useState<Map<number, BulkResult>>(new Map());
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [lastRun, setLastRun] = useState<{ action: BulkAction; rows: { id: number; number: string; result: BulkResult }[] } | null>(null);
  const [tick, setTick] = useState(0);
  const [q, setQ] = useState(filters.q ?? '');

  useEffect(() => {
    let live = true;
    setLoading(true);
    consoleApi.overdue({ ...filters, limit: '50' }).then((p) => {
      if (!live) return;
      setPage(p);
      setError(null);
    }).catch((e) => live && setError(errorText(e))).finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [key, tick]);

  function setFilter(name: string, value: string | null) {
    const next = { ...filters, [name]: value };
    navigate(`/console/overdue${queryString(next)}`, { replace: true });
    setSelected(new Set());
  }

  async function more() {
    if (!page?.next_cursor) return;
    setLoading(true);
    try {
      const next = await consoleApi.overdue({ ...filters, cursor: page.next_cursor, limit: '50' });
      setPage({ ...next, items: [...page.items, ...next.items] });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }

  async function run(action: BulkAction, ids: number[]) {
    if (!ids.length) return;
    if (action === 'refuse_extension' && !note.trim()) {
      setMessage('不同意延期须写明理由：请在“说明”中填写。');
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const answer = await consoleApi.bulk(action, ids, note.trim() || undefined);
      const map = new Map(results);
      answer.results.forEach((r) => map.set(r.hazard_id, r));
      setResults(map);
      const numbers = new Map(rows.map((r) => [r.hazard_id, r.number]));
      setLastRun({ action, rows: answer.results.map((r) => ({ id: r.hazard_id, number: numbers.get(r.hazard_id) ?? `#${r.hazard_id}`, result: r })) });
      const ok = answer.results.filter((r) => r.ok).length;
      setMessage(`${BULK_LABELS[action]}：成功 ${ok} 项，失败 ${answer.results.length - ok} 项。`);
      setSelected(new Set(answer.results.filter((r) => !r.ok).map((r) => r.hazard_id)));
      setTick((t) => t + 1);
    } catch (e) {
      setMessage(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  const rows = page?.items ?? [];
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.hazard_id));
  const toggle = (id: number) => setSelected((s) => {
    const n = new Set(s);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    return n;
  });
  const onSort = (col: string) => setFilter('sort', apiSort(nextSort(sort, col)));
  const ids = [...selected];
  const canDo = (action: string) => rows.filter((r) => selected.has(r.hazard_id) && r.allowed_actions.includes(action)).length;
  const exportParams = { ...filters };

  return (
    <div data-testid="overdue">
      <div class="page-head">
        <h1>超期督办</h1>
        <span class="muted" data-testid="overdue-total" data-total={page?.total ?? ''}>{page ? `共 ${page.total} 项` : ''}</span>
        <ExportLink href={exportUrl('/console/overdue.xlsx', exportParams)} />
      </div>
      <div class="filters" role="search">
        <div class="chips" role="group" aria-label="时间窗">
          {WINDOWS.map(([v, label]) => (
            <button key={v} type="button" aria-pressed={filters.window === v} data-window={v}
              onClick={() => setFilter('window', v)}>{label}</button>
          ))}
        </div>
        <label class="inline">级别
          <select data-testid="filter-level" value={filters.level ?? ''} onChange={(e) => setFilter('level', (e.target as HTMLSelectElement).value || null)}>
            <option value="">全部</option><option value="general">一般</option><option value="major">重大</option>
          </select>
        </label>
        <label class="inline">领域
          <select data-testid="filter-domain" value={filters.domain ?? ''} onChange={(e) => setFilter('domain', (e.target as HTMLSelectElement).value || null)}>
            <option value="">全部</option>
            {Object.entries(DOMAIN_LABELS).map(([v, l]) => <option key={v} value={v}>{l}</option>)}
          </select>
        </label>
        <label class="inline check">
          <input type="checkbox" data-testid="filter-extension" checked={filters.extension_requested === 'true'}
            onChange={(e) => setFilter('extension_requested', (e.target as HTMLInputElement).checked ? 'true' : null)} />
          仅看申请延期
        </label>
        <form class="inline" onSubmit={(e) => { e.preventDefault(); setFilter('q', q.trim() || null); }}>
          <input type="search" placeholder="编号、场所、企业" aria-label="搜索" data-testid="filter-q" value={q}
            onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
          <button type="submit" class="btn small">搜索</button>
        </form>
        {(filters.region_id || filters.department_id) && (
          <span class="muted">已限定范围 <button type="button" class="link" onClick={() => {
            navigate(`/console/overdue${queryString({ ...filters, region_id: null, department_id: null })}`, { replace: true });
          }}>清除</button></span>
        )}
      </div>

      <div class="bulkbar" data-testid="bulkbar" aria-live="polite">
        <span>已选 <b data-testid="selected-count">{ids.length}</b> 项</span>
        <input type="text" placeholder="说明（不同意延期时必填）" aria-label="说明" value={note} data-testid="bulk-note"
          onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
        {(['remind', 'escalate', 'approve_extension', 'refuse_extension'] as BulkAction[]).map((a) => (
          <button key={a} type="button" class={`btn small${a === 'refuse_extension' ? ' danger' : ''}`}
            disabled={busy || ids.length === 0} data-testid={`bulk-${a}`} onClick={() => void run(a, ids)}
            title={`所选中 ${canDo(a)} 项可${BULK_LABELS[a]}`}>
            {BULK_LABELS[a]}{ids.length ? `（${canDo(a)}）` : ''}
          </button>
        ))}
      </div>
      {message && <Banner kind="info" testid="bulk-message">{message}
        {lastRun && (
          <ul class="results" data-testid="bulk-results">
            {lastRun.rows.map((r) => (
              <li key={r.id} data-id={r.id} data-ok={String(r.result.ok)}>
                <a href={`/console/hazards/${r.id}`}>{r.number}</a>：{r.result.ok ? '成功' : `失败 — ${r.result.detail ?? r.result.code}`}
              </li>
            ))}
          </ul>
        )}
      </Banner>}
      {error && <Banner kind="error">{error}</Banner>}

      <div class="table-wrap">
        <table class="grid-table wide" data-testid="overdue-table" aria-busy={loading}>
          <thead><tr>
            <th><input type="checkbox" aria-label="全选" checked={allSelected} data-testid="select-all"
              onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.hazard_id)))} /></th>
            <th>隐患</th>
            <SortHeader label="级别" col="level" sort={sort} onSort={onSort} />
            <th>状态</th>
            <th>场所 / 企业</th>
            <th>责任部门</th>
            <th>网格</th>
            <SortHeader label="整改期限" col="deadline_at" sort={sort} onSort={onSort} />
            <SortHeader label="逾期（工作日）" col="days_overdue" sort={sort} onSort={onSort} num />
            <th>督办层级</th>
            <th>延期</th>
            <th>结果</th>
          </tr></thead>
          <tbody>
            {page && rows.length === 0 && <tr><td colSpan={12} class="muted cell-title">没有符合条件的隐患。</td></tr>}
            {rows.map((r) => {
              const result = results.get(r.hazard_id);
              return (
                <tr key={r.hazard_id} data-testid="overdue-row" data-id={r.hazard_id} data-level={r.level}
                  data-extension={String(r.extension_requested)} class={selected.has(r.hazard_id) ? 'selected' : undefined}>
                  <td class="cell-select"><input type="checkbox" aria-label={`选择 ${r.number}`} checked={selected.has(r.hazard_id)}
                    onChange={() => toggle(r.hazard_id)} data-testid="row-select" /></td>
                  <td class="cell-title"><a href={`/console/hazards/${r.hazard_id}`}>{r.number}</a><br /><small>{r.title}</small>
                    {r.supervised && <> <span class="badge level-major">挂牌</span></>}</td>
                  <td data-label="级别"><span class={`badge level-${r.level}`}>{LEVEL_LABELS[r.level] ?? r.level}</span></td>
                  <td data-label="状态">{STATUS_LABELS[r.status as keyof typeof STATUS_LABELS] ?? '—'}</td>
                  <td data-label="场所 / 企业"><span>{r.site?.name}<br /><Contact enterprise={r.enterprise} /></span></td>
                  <td data-label="责任部门"><span>{r.department?.name ?? '—'}<br /><small>{DOMAIN_LABELS[r.domain] ?? '其他'}</small></span></td>
                  <td data-label="网格">{r.grid?.name}</td>
                  <td data-label="整改期限" title={formatTime(r.deadline_at)}>{day(r.deadline_at) || '—'}</td>
                  <td data-label="逾期（工作日）" class={`num${r.days_overdue > 0 ? ' bad' : ''}`} data-col="days_overdue">{r.days_overdue}</td>
                  <td data-label="督办层级">{r.escalation_rung ? RUNG_LABELS[r.escalation_rung] ?? r.escalation_rung : '—'}</td>
                  <td data-label="延期" class={r.extension_requested ? undefined : 'cell-empty'}>{r.extension_requested ? (
                    r.allowed_actions.includes('approve_extension')
                      ? <button type="button" class="btn small" disabled={busy} data-testid="row-approve"
                        onClick={() => void run('approve_extension', [r.hazard_id])}>批准延期</button>
                      : <span class="badge">待审批</span>) : ''}</td>
                  <td data-testid="row-result" data-label="结果" class={result ? undefined : 'cell-empty'}
                    data-ok={result ? String(result.ok) : ''}>
                    {result && (result.ok ? <span class="ok">✓ 成功</span>
                      : <span class="bad" title={result.code}>✗ {result.detail ?? result.code}</span>)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {page?.next_cursor && <button type="button" class="btn" disabled={loading} onClick={() => void more()}>加载更多</button>}
    </div>
  );
}
