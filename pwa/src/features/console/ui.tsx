/** The console's shared pieces: loading a resource, sortable headers, export links, status cards. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { HttpError } from '../../api/http';
import { Banner } from '../../ui/components';
import type { SortState } from './logic';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Fetch on mount and whenever `deps` change; the last answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>(
    { data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then((data) => live && setState({ data, error: null, loading: false }))
      .catch((e) => live && setState({ data: null, error: errorText(e), loading: false }));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function errorText(e: unknown): string {
  if (e instanceof HttpError) {
    if (e.status === 404) return `未找到，或不在您的管辖范围内（${e.problem.detail}）`;
    return e.problem.detail;
  }
  return (e as Error)?.message || '出错了';
}

export function LoadState<T>(props: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { data, error, loading } = props.loaded;
  if (error) return <Banner kind="error">{error} <button type="button" class="link" onClick={props.loaded.reload}>重试</button></Banner>;
  if (data === null) return <p class="muted">{loading ? '正在加载…' : '没有数据。'}</p>;
  return <>{props.children(data)}</>;
}

/** A list page's table: loading and errors, the head, one row when there is nothing, then a row per item. */
export function ListTable<T>(props: { loaded: Loaded<{ items: T[] }>; class: string; testid: string;
  head: ComponentChildren; columns: number; empty: string; row: (item: T) => ComponentChildren }) {
  return (
    <LoadState loaded={props.loaded}>{(page) => (
      <div class="table-wrap">
        <table class={props.class} data-testid={props.testid}>
          <thead><tr>{props.head}</tr></thead>
          <tbody>
            {page.items.length === 0 && <tr><td colSpan={props.columns} class="muted cell-title">{props.empty}</td></tr>}
            {page.items.map(props.row)}
          </tbody>
        </table>
      </div>
    )}</LoadState>
  );
}

/** A record's page: the record as loaded, then as the answer to each action taken on it (no reload). */
export function RecordState<T extends { id: number }>(props: { loaded: Loaded<T>;
  children: (record: T, onChange: (record: T) => void) => ComponentChildren }) {
  const [current, setCurrent] = useState<T | null>(null);
  return (
    <LoadState loaded={props.loaded}>{(record) => props.children(current && current.id === record.id ? current : record,
      setCurrent)}</LoadState>
  );
}

export function SortHeader<K extends string>(props: { label: string; col: K; sort: SortState<K> | null;
  onSort: (col: K) => void; num?: boolean }) {
  const active = props.sort?.key === props.col;
  const dir = active ? (props.sort!.dir === 'asc' ? 'ascending' : 'descending') : 'none';
  return (
    <th aria-sort={dir} class={props.num ? 'num' : undefined}>
      <button type="button" class="sort" data-col={props.col} onClick={() => props.onSort(props.col)}>
        {props.label}<span aria-hidden="true">{active ? (props.sort!.dir === 'asc' ? ' ▲' : ' ▼') : ' ↕'}</span>
      </button>
    </th>
  );
}

export function ExportLink(props: { href: string; testid?: string; label?: string }) {
  return <a class="btn small" href={props.href} download data-testid={props.testid ?? 'export'}>{props.label ?? '导出 XLSX'}</a>;
}

export function StatCard(props: { label: string; value: number | string; testid: string; href?: string;
  tone?: 'bad' | 'warn' | 'ok' }) {
  const body = <><span class="stat-label">{props.label}</span><b data-testid={`${props.testid}-value`}>{props.value}</b></>;
  const cls = `stat-card${props.tone ? ` tone-${props.tone}` : ''}`;
  return props.href
    ? <a class={cls} href={props.href} data-testid={props.testid} data-value={props.value}>{body}</a>
    : <div class={cls} data-testid={props.testid} data-value={props.value}>{body}</div>;
}

/**
 * A card's decision buttons: ``act(run, message)`` runs one request, then hands ``message`` to
 * ``onDone``; while it runs ``busy`` is true, and a refusal is shown as ``error`` in Chinese.
 */
export function useAct(onDone: (message: string) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function act(run: () => Promise<unknown>, message: string) {
    setBusy(true);
    setError(null);
    try {
      await run();
      onDone(message);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  }
  return { busy, error, act };
}

export function Section(props: { title: string; actions?: ComponentChildren; children: ComponentChildren; testid?: string }) {
  return (
    <section class="panel" data-testid={props.testid}>
      <header class="panel-head"><h2>{props.title}</h2><div class="panel-actions">{props.actions}</div></header>
      {props.children}
    </section>
  );
}
