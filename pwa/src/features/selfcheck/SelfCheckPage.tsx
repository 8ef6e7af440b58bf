/**
 * 每月自查自报 (enterprise, on the phone): this month's status per site (未报 / 已报 with counts), the month's
 * self-inspections and what they found, and 「提交本月自查报告」 or 「本月未发现隐患」 after a confirmation —
 * queued in the outbox, so it works offline and is sent once.
 */
import { useEffect, useState } from 'preact/hooks';
import { HttpError } from '../../api/http';
import { outboxStore, refreshOutbox, sessionStore, syncLoop } from '../../app-state';
import { useStore } from '../../store';
import { Banner, ConfirmDialog, ago } from '../../ui/components';
import type { Grant } from '../hazards/logic';
import { cachedMonth, queueReport, refreshMonth } from './api';
import {
  localDayTime, localPeriod, monthState, pendingReports, previousPeriod, unsentInspections, type SelfCheckMonth,
} from './logic';
import './selfcheck.css';

/** The month of one site, cached on the phone; reloaded when a report or inspection of it has gone through. */
export function useMonth(siteId: number, period: string): { month: SelfCheckMonth | null; fetchedAt: string | null;
  error: string | null } {
  const items = useStore(outboxStore);
  const [month, setMonth] = useState<SelfCheckMonth | null>(null);
  const [fetchedAt, setFetchedAt] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const through = items.filter((i) => (i.kind === 'selfcheck' || i.kind === 'inspection') && i.siteId === siteId
    && (i.state === 'sent' || i.state === 'acknowledged')).length;
  useEffect(() => {
    let live = true;
    void (async () => {
      const cached = await cachedMonth(siteId, period);
      if (live && cached) {
        setMonth(cached.data);
        setFetchedAt(cached.fetchedAt);
      }
      try {
        const fresh = await refreshMonth(siteId, period);
        if (!live) return;
        setMonth(fresh.data);
        setFetchedAt(fresh.fetchedAt);
        setError(null);
      } catch (e) {
        if (live && !cached) setError(e instanceof HttpError ? e.problem.detail : '离线，且本机没有本月自查的数据，请联网后再打开。');
      }
    })();
    return () => {
      live = false;
    };
  }, [siteId, period, through]);
  return { month, fetchedAt, error };
}

/** One site's month; ``late``: last month, shown only while it may still be reported (补报) or is waiting to be sent. */
function SiteMonth(props: { siteId: number; period: string; late?: boolean }) {
  const items = useStore(outboxStore);
  const { month, fetchedAt, error } = useMonth(props.siteId, props.period);
  const [confirming, setConfirming] = useState<'report' | 'zero' | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  if (props.late && (error || !month)) return null;
  if (error) return <Banner kind="error">{error}</Banner>;
  if (!month) return <p class="muted">正在加载…</p>;
  const pending = pendingReports(items, month.site_id, month.period);
  if (props.late && !month.offered && !pending.length) return null;
  const unsent = unsentInspections(items, month.site_id);
  const state = monthState(month, pending.length);

  async function send(zero: boolean) {
    setBusy(true);
    setFailure(null);
    try {
      await queueReport(month!, zero, note);
      refreshOutbox();
      void syncLoop.request();
      setConfirming(null);
    } catch (e) {
      setFailure(`保存失败：${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  const offered = !month.report && pending.length === 0 && unsent.length === 0 ? month.offered : null;
  return (
    <section class="selfcheck-month card" data-testid="selfcheck-month" data-site={month.site_id} data-state={state.key}>
      <h2>{month.site_name}{props.late ? ` · ${month.period_label}` : ''}</h2>
      {props.late && <p class="muted" data-testid="selfcheck-late">上月的自查自报还没有提交，现在补报将记为逾期报告。</p>}
      <p><span class={`badge selfcheck-${state.key}`} data-testid="selfcheck-state">{state.text}</span></p>
      <p class="muted">报告截止：{month.due_label}（本月最后一天） · 数据更新于 {ago(fetchedAt)}</p>
      {month.report && (
        <p data-testid="selfcheck-report">{localDayTime(month.report.reported_at)} 由 {month.report.reported_by_name ?? '—'} 报送
          {month.report.on_time ? '（按期）' : '（逾期报告）'}{month.report.note ? `：${month.report.note}` : ''}</p>
      )}
      {pending.some((p) => p.state === 'needs_attention') && (
        <Banner kind="error" testid="selfcheck-refused">本月报告未被接受：{pending.find((p) => p.lastError)?.lastError?.detail}
          <a href="/outbox">到待发送处理</a></Banner>
      )}

      <h3>本月自查记录（{month.inspections.length}）</h3>
      {month.inspections.length === 0 ? <p class="muted">本月还没有自查记录。</p> : (
        <ul class="list" data-testid="selfcheck-inspections">
          {month.inspections.map((i) => (
            <li key={i.id}>{localDayTime(i.finished_at)} · {i.checklist_title ?? '自查'}
              <br /><small>{i.finding_count ? `发现不符合 ${i.finding_count} 项` : '未发现不符合项'}</small></li>
          ))}
        </ul>
      )}
      {unsent.length > 0 && (
        <Banner kind="warn" testid="selfcheck-unsent">还有 {unsent.length} 条自查记录在本机等待发送，发送后才能提交本月报告。</Banner>
      )}

      <h3>本月自查发现的隐患（{month.findings.length}）</h3>
      {month.findings.length === 0 ? <p class="muted">本月自查没有发现隐患。</p> : (
        <ul class="list" data-testid="selfcheck-findings">
          {month.findings.map((h) => (
            <li key={h.id}><a href={`/hazards/${h.id}`}>{h.number} · {h.description}
              <br /><small>{h.level_label}隐患 · {h.status_label} · 发现于 {localDayTime(h.found_at)}</small></a></li>
          ))}
        </ul>
      )}

      {offered && <>
        <label for={`note-${month.site_id}`}>补充说明（可不填）</label>
        <textarea id={`note-${month.site_id}`} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
        <button type="button" class="btn primary block" data-testid={offered === 'zero' ? 'selfcheck-zero' : 'selfcheck-submit'}
          onClick={() => setConfirming(offered)}>{offered === 'zero' ? '本月未发现隐患' : '提交本月自查报告'}</button>
      </>}
      {!offered && !month.report && month.blocked_reason && <p class="muted">{month.blocked_reason}</p>}
      <a class="btn block" href={`/sites/${month.site_id}`}>开始自查</a>
      {failure && <Banner kind="error">{failure}</Banner>}
      {confirming && (
        <ConfirmDialog testid="selfcheck-confirm" confirmLabel={busy ? '正在保存…' : '确认报送'} cancelLabel="返回"
          title={confirming === 'zero' ? `确认${month.period_label}未发现隐患？` : `提交${month.period_label}自查报告？`}
          onCancel={() => setConfirming(null)} onConfirm={() => { if (!busy) void send(confirming === 'zero'); }}>
          {confirming === 'zero'
            ? <p>将向监管部门报告：{month.site_name}{month.period_label}自查{month.inspections.length ? ` ${month.inspections.length} 次，` : ''}未发现隐患。</p>
            : <p>将向监管部门报告：{month.site_name}{month.period_label}自查 {month.inspections.length} 次，发现隐患 {month.findings.length} 项（见上方清单）。</p>}
          <p>每个场所每月只报一次，报送后不能修改。无网络时先保存在本机，联网后自动发送。</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

export function SelfCheckPage() {
  const session = useStore(sessionStore);
  const period = localPeriod();
  const previous = previousPeriod(period);
  const sites = ((session?.user.grants ?? []) as (Grant & { site_name?: string })[]).filter((g) => g.site_id);
  if (!sites.length) return <Banner>只有企业账号需要每月自查自报。</Banner>;
  return (
    <div data-testid="selfcheck">
      <p class="muted">每月自查，如实报送本月检查和发现的隐患；本月没有发现隐患的，也要报「本月未发现隐患」。</p>
      {sites.map((s) => <SiteMonth key={`${s.site_id}:${period}`} siteId={Number(s.site_id)} period={period} />)}
      {sites.map((s) => <SiteMonth key={`${s.site_id}:${previous}`} siteId={Number(s.site_id)} period={previous} late />)}
    </div>
  );
}
