/**
 * 督办建议: the 挂牌督办 proposals the escalation ladder opened at its top rung. A supervisor accepts one
 * (督办单位, 期限, 督办要求 → the hazard is listed for 挂牌督办) or dismisses it with a reason; both are
 * recorded in the hazard's chain. The accept button shows only when the workflow would take the step.
 */
import { useState } from 'preact/hooks';
import { HttpError } from '../../api/http';
import { Banner } from '../../ui/components';
import { triageApi, type Proposal } from './triage-api';
import './triage.css';
import { FieldError, ReasonForm, decide } from './ReasonForm';
import { LoadState, useLoad } from './ui';

const FILTERS: [string, string][] = [['proposed', '待决定'], ['accepted', '已采纳'], ['dismissed', '不予督办'], ['', '全部']];

function time(iso: string | null | undefined): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso ?? '');
  return m ? `${m[1]} ${m[2]}` : '';
}

function inDays(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function ProposalsPage(props: { query: URLSearchParams }) {
  const [status, setStatus] = useState(props.query.get('status') ?? 'proposed');
  const [notice, setNotice] = useState<string | null>(null);
  const loaded = useLoad(() => triageApi.proposals(status || null), [status]);
  const done = (message: string) => {
    setNotice(message);
    loaded.reload();
  };
  return (
    <div data-testid="proposals">
      <div class="page-head">
        <h1>挂牌督办建议</h1>
        <span class="muted">{loaded.data ? `共 ${loaded.data.total} 条` : ''}</span>
      </div>
      <p class="muted">隐患逾期升级到最高一级时，系统提出挂牌督办建议，由监管人员决定采纳或不予督办。</p>
      <div class="chips" role="group" aria-label="状态">
        {FILTERS.map(([value, label]) => (
          <button key={value} type="button" aria-pressed={status === value} data-testid={`proposals-${value || 'all'}`}
            onClick={() => setStatus(value)}>{label}</button>
        ))}
      </div>
      {notice && <Banner kind="info" testid="proposal-notice">{notice}</Banner>}
      <LoadState loaded={loaded}>{(d) => (
        <>
          {d.items.length === 0 && <p class="muted" data-testid="proposals-empty">没有{FILTERS.find(([v]) => v === status)?.[1] ?? ''}的督办建议。</p>}
          {d.items.map((p) => <ProposalCard key={p.id} proposal={p} onDone={done} />)}
        </>
      )}</LoadState>
    </div>
  );
}

function ProposalCard(props: { proposal: Proposal; onDone: (message: string) => void }) {
  const p = props.proposal;
  const h = p.hazard;
  const [mode, setMode] = useState<'accept' | 'dismiss' | null>(null);
  return (
    <article class={`proposal-card${p.status === 'proposed' ? '' : ' decided'}`} data-testid="proposal" data-id={p.id}
      data-hazard={h.id}>
      <h2><a href={`/console/hazards/${h.id}`}>{h.number}</a>
        <span class={`badge level-${h.level}`}>{h.level_label}</span>
        <span class={`badge triage-${p.status}`} data-testid="proposal-status">{p.status_label}</span></h2>
      <p>{h.site_name}：{h.description}</p>
      <p class="muted">隐患状态：{h.status_label}；整改期限：{time(h.deadline_at) || '未定'}
        {p.overdue_working_days !== null ? `；提出时已逾期 ${p.overdue_working_days} 个工作日` : ''}；提出时间：{time(p.created_at)}</p>
      {p.status !== 'proposed' && (
        <p data-testid="proposal-decision">{p.decided_by ?? '—'} 于 {time(p.decided_at)} {p.status === 'accepted' ? '采纳，已挂牌督办。' : '决定不予督办'}
          {p.decision_note ? `，理由：${p.decision_note}` : ''}</p>
      )}
      {p.status === 'proposed' && (
        <>
          {!p.can_accept && p.accept_blocked_reason && <p class="muted" data-testid="accept-blocked">{p.accept_blocked_reason}</p>}
          <div class="button-row">
            {p.can_accept && (
              <button type="button" class={`btn${mode === 'accept' ? ' primary' : ''}`} aria-pressed={mode === 'accept'}
                data-testid="proposal-accept" onClick={() => setMode('accept')}>采纳并挂牌督办</button>
            )}
            <button type="button" class={`btn${mode === 'dismiss' ? ' primary' : ''}`} aria-pressed={mode === 'dismiss'}
              data-testid="proposal-dismiss" onClick={() => setMode('dismiss')}>不予督办</button>
          </div>
          {mode === 'accept' && <AcceptForm proposal={p} onDone={props.onDone} />}
          {mode === 'dismiss' && <DismissForm proposal={p} onDone={props.onDone} />}
        </>
      )}
    </article>
  );
}

/** Another official decided first: say so and show the list as it now is. */
function decidedElsewhere(e: unknown): string | null {
  return e instanceof HttpError && e.status === 409 ? `${e.problem.detail}列表已刷新。` : null;
}

function AcceptForm(props: { proposal: Proposal; onDone: (message: string) => void }) {
  const id = props.proposal.id;
  const [authority, setAuthority] = useState('');
  const [deadline, setDeadline] = useState(inDays(30));
  const [requirements, setRequirements] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (authority.trim().length < 2) local.authority = '请填写督办单位。';
    if (!deadline) local.deadline = '请选择督办期限。';
    else if (deadline <= inDays(0)) local.deadline = '督办期限须晚于今天。';
    if (requirements.trim().length < 2) local.requirements = '请填写督办要求。';
    setErrors(local);
    if (Object.keys(local).length) return;
    await decide(async () => {
      await triageApi.acceptProposal(id, { authority: authority.trim(), deadline, requirements: requirements.trim() });
      return `已采纳：隐患 ${props.proposal.hazard.number} 已挂牌督办。`;
    }, { conflict: decidedElsewhere, onDone: props.onDone, setErrors, setBusy });
  };
  return (
    <form class="triage-form" onSubmit={submit} noValidate data-testid="proposal-accept-form">
      <label for={`pa-authority-${id}`}>督办单位</label>
      <input id={`pa-authority-${id}`} type="text" value={authority} maxLength={100} placeholder="如：区安全生产委员会办公室"
        aria-describedby={`pe-authority-${id}`} onInput={(e) => setAuthority((e.target as HTMLInputElement).value)} />
      <FieldError id={`pe-authority-${id}`} message={errors.authority} />
      <label for={`pa-deadline-${id}`}>督办期限</label>
      <input id={`pa-deadline-${id}`} type="date" value={deadline} min={inDays(1)} aria-describedby={`pe-deadline-${id}`}
        onInput={(e) => setDeadline((e.target as HTMLInputElement).value)} />
      <FieldError id={`pe-deadline-${id}`} message={errors.deadline} />
      <label for={`pa-req-${id}`}>督办要求</label>
      <textarea id={`pa-req-${id}`} rows={3} value={requirements} maxLength={1000} aria-describedby={`pe-req-${id}`}
        onInput={(e) => setRequirements((e.target as HTMLTextAreaElement).value)} />
      <FieldError id={`pe-req-${id}`} message={errors.requirements} />
      <FieldError id={`pe-accept-${id}`} message={errors._} />
      <button type="submit" class="btn primary" disabled={busy} data-testid="confirm-proposal-accept">
        {busy ? '正在提交…' : '确认挂牌督办'}</button>
    </form>
  );
}

function DismissForm(props: { proposal: Proposal; onDone: (message: string) => void }) {
  const id = props.proposal.id;
  return (
    <ReasonForm label="不予督办的理由" missing="请写明不予督办的理由。" confirm="确认不予督办"
      inputId={`pd-reason-${id}`} errorId={`pde-${id}`} testid="proposal-dismiss-form"
      confirmTestid="confirm-proposal-dismiss" conflict={decidedElsewhere} onDone={props.onDone}
      send={async (reason) => {
        await triageApi.dismissProposal(id, reason);
        return `已决定不予督办隐患 ${props.proposal.hazard.number}，理由已记入隐患记录。`;
      }} />
  );
}
