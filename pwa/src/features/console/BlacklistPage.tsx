/**
 * 黑名单（失信惩戒）: candidates from the escalation rules and the cases in process — collect, 会审, 报批,
 * publish, 异议处理, 移出 — each step recorded with who and when.
 */
import { useState } from 'preact/hooks';
import { Banner, formatTime } from '../../ui/components';
import type { BlacklistCase } from './api';
import { consoleApi, exportUrl } from './api';
import { BLACKLIST_STATUS_LABELS, BLACKLIST_STEPS_NEEDING_NOTE, BLACKLIST_STEP_LABELS, day } from './logic';
import { ExportLink, ListTable, RecordState, errorText, useLoad } from './ui';

const STATUS_FILTERS = ['', 'candidate', 'collected', 'reviewed', 'approved', 'published', 'objection', 'removed', 'dismissed'];

export function BlacklistPage(props: { query: URLSearchParams }) {
  const [status, setStatus] = useState(props.query.get('status') ?? '');
  const loaded = useLoad(() => consoleApi.blacklist(status || null), [status]);
  return (
    <div data-testid="blacklist">
      <div class="page-head">
        <h1>黑名单（失信惩戒）</h1>
        <span class="muted">{loaded.data ? `共 ${loaded.data.total} 项` : ''}</span>
        <ExportLink href={exportUrl('/blacklist.xlsx', { status })} />
      </div>
      <div class="chips" role="group" aria-label="状态">
        {STATUS_FILTERS.map((s) => (
          <button key={s} type="button" aria-pressed={status === s} onClick={() => setStatus(s)}>
            {s ? BLACKLIST_STATUS_LABELS[s] ?? s : '全部'}</button>
        ))}
      </div>
      <ListTable loaded={loaded} class="grid-table wide" testid="blacklist-table" columns={6} empty="没有记录。"
        head={<><th>企业 / 场所</th><th>状态</th><th>事由</th><th>列入时间</th><th>公示时间</th><th>可移出日期</th></>}
        row={(e) => (
          <tr key={e.id} data-testid="blacklist-row" data-id={e.id}>
            <td class="cell-title"><a href={`/console/blacklist/${e.id}`}>{e.enterprise_name || e.site?.name}</a><br /><small>{e.site?.name}</small></td>
            <td data-label="状态"><span class={`badge bl-${e.status}`}>{BLACKLIST_STATUS_LABELS[e.status] ?? '—'}</span></td>
            <td data-label="事由">{e.reason}</td>
            <td data-label="列入时间">{day(e.created_at)}</td>
            <td data-label="公示时间">{day(e.published_at) || '—'}</td>
            <td data-label="可移出日期">{day(e.removable_after) || '—'}</td>
          </tr>
        )} />
    </div>
  );
}

function CaseBody(props: { entry: BlacklistCase; onChanged: (entry: BlacklistCase) => void }) {
  const { entry } = props;
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function step(name: string) {
    if (BLACKLIST_STEPS_NEEDING_NOTE.includes(name) && !note.trim()) {
      setError(`「${BLACKLIST_STEP_LABELS[name] ?? name}」须填写意见。`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await consoleApi.blacklistStep(entry.id, name, note.trim());
      setNote('');
      props.onChanged(answer?.steps ? answer : await consoleApi.blacklistCase(entry.id));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div data-testid="blacklist-case" data-status={entry.status}>
      <div class="page-head">
        <h1>{entry.enterprise_name || entry.site?.name}</h1>
        <span class={`badge bl-${entry.status}`} data-testid="case-status">{BLACKLIST_STATUS_LABELS[entry.status] ?? entry.status}</span>
        <a class="btn small" href="/console/blacklist">返回列表</a>
      </div>
      <dl class="facts">
        <dt>场所</dt><dd>{entry.site?.name}</dd>
        <dt>事由</dt><dd>{entry.reason}</dd>
        <dt>列入时间</dt><dd>{formatTime(entry.created_at)}</dd>
        <dt>公示时间</dt><dd>{formatTime(entry.published_at) || '—'}</dd>
        <dt>可移出日期</dt><dd>{day(entry.removable_after) || '—'}</dd>
      </dl>
      <section class="panel">
        <h2>办理</h2>
        {entry.allowed_steps.length === 0 ? <p class="muted">当前没有可由您办理的步骤。</p> : <>
          <label for="bl-note">意见 / 说明</label>
          <textarea id="bl-note" value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
          <div class="button-row">
            {entry.allowed_steps.map((s) => (
              <button key={s} type="button" class={`btn${s === 'remove' || s === 'uphold_objection' || s === 'dismiss' ? ' danger' : ' primary'}`}
                disabled={busy} data-testid={`step-${s}`} onClick={() => void step(s)}>{BLACKLIST_STEP_LABELS[s] ?? s}</button>
            ))}
          </div>
        </>}
        {error && <Banner kind="error">{error}</Banner>}
      </section>
      <section class="panel">
        <h2>办理记录</h2>
        <ol class="timeline" data-testid="case-steps">
          {entry.steps.map((s, i) => (
            <li key={i}><b>{BLACKLIST_STEP_LABELS[s.step] ?? s.step}</b>{' '}
              <small class="muted">{formatTime(s.at)}{s.actor ? ` · ${s.actor.name}` : ''}</small>
              {s.note && <div>{s.note}</div>}</li>
          ))}
        </ol>
      </section>
    </div>
  );
}

export function BlacklistCasePage(props: { id: number }) {
  const loaded = useLoad(() => consoleApi.blacklistCase(props.id), [props.id]);
  return (
    <RecordState loaded={loaded}>{(entry, onChanged) => <CaseBody entry={entry} onChanged={onChanged} />}</RecordState>
  );
}
