/** /r and /r/<code>: the reporter's own report — its status and times, nothing about the site's people. */
import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../../router';
import { answerFeedback, errorMessage, PublicApiError, reportProgress, type ReportProgress } from './api';
import { cleanCode, localTime, stepStates } from './format';

export function TrackPage(props: { code: string | null }) {
  const [typed, setTyped] = useState(props.code ?? '');
  const [progress, setProgress] = useState<ReportProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    document.title = '举报进度查询';
    setProgress(null);
    setTyped(props.code ?? '');
  }, [props.code]);

  useEffect(() => {
    setError(null);
    if (!props.code) return;
    setLoading(true);
    reportProgress(props.code).then(setProgress).catch((e) => setError(
      e instanceof PublicApiError && e.status === 404 ? '未找到该举报，请核对查询码。' : errorMessage(e),
    )).finally(() => setLoading(false));
  }, [props.code, attempt]);

  const lookUp = (event: Event) => {
    event.preventDefault();
    const code = cleanCode(typed);
    if (!code) {
      setError('请输入查询码。');
      return;
    }
    if (code === props.code) setAttempt((a) => a + 1);
    else navigate(`/r/${encodeURIComponent(code)}`);
  };

  return (
    <div>
      {progress ? <ProgressView progress={progress} onRefresh={() => setAttempt((a) => a + 1)} loading={loading} />
        : loading && <p class="muted" aria-busy="true">正在查询…</p>}
      {error && <div class="banner error" role="alert" data-testid="track-error">{error}</div>}
      {!progress && (
        <form onSubmit={lookUp} class="pub-form">
          <label for="t-code">查询码</label>
          <input id="t-code" type="text" value={typed} autocomplete="off" autocapitalize="off" spellcheck={false}
            onInput={(e) => setTyped((e.target as HTMLInputElement).value)} placeholder="如 ABCD-EFGH-JKMNP，不区分大小写" />
          <button type="submit" class="btn primary block">查询进度</button>
        </form>
      )}
    </div>
  );
}

function ProgressView(props: { progress: ReportProgress; onRefresh: () => void; loading: boolean }) {
  const p = props.progress;
  return (
    <section data-testid="progress">
      <p class="muted">查询码 <b data-testid="progress-code">{p.tracking_code}</b>，您的举报当前状态：</p>
      <p class={`pub-status status-${p.status}`} data-testid="report-status" data-status={p.status}>{p.status_label}</p>
      <ol class="steps" aria-label="办理进度">
        {stepStates(p.status).map((s) => (
          <li key={s.status} class={`step ${s.state}`} aria-current={s.state === 'current' ? 'step' : undefined}>
            {s.label}
          </li>
        ))}
      </ol>
      {p.merged && p.merged_note && <div class="banner" data-testid="merged-note">{p.merged_note}</div>}
      {p.reopened && p.status === 'received' && (
        <div class="banner" data-testid="reopened-note">您反馈问题没有解决，已重新受理，工作人员会再次核实处理。</div>
      )}
      {p.feedback_asked && <FeedbackForm code={p.tracking_code} onDone={props.onRefresh} />}
      {p.status === 'received' && <p class="muted" data-testid="received-hint">工作人员核实后会立案处理或答复，请稍后再来查询。</p>}
      {p.status === 'rejected' && p.rejection_reason && (
        <div class="banner" data-testid="rejection-reason"><b>不予立案的理由：</b>{p.rejection_reason}</div>
      )}
      <dl class="pub-times">
        <dt>提交时间</dt><dd>{localTime(p.received_at)}</dd>
        {p.triaged_at && <><dt>处理时间</dt><dd>{localTime(p.triaged_at)}</dd></>}
        {p.deadline_at && <><dt>整改期限</dt><dd>{localTime(p.deadline_at)}</dd></>}
        {p.closed_at && <><dt>办结时间</dt><dd>{localTime(p.closed_at)}</dd></>}
        <dt>问题类别</dt><dd>{p.category_label}</dd>
      </dl>
      <h3>我举报的内容</h3>
      <p class="pub-desc" data-testid="report-description">{p.description}</p>
      <button type="button" class="btn block" onClick={props.onRefresh} disabled={props.loading}>
        {props.loading ? '正在刷新…' : '刷新状态'}
      </button>
    </section>
  );
}

/** 「问题解决了吗？」 once closed: 'yes' is recorded; 'no' (with what is still wrong) reopens triage. */
function FeedbackForm(props: { code: string; onDone: () => void }) {
  const [notSolved, setNotSolved] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function send(solved: boolean) {
    setBusy(true);
    setError(null);
    try {
      await answerFeedback(props.code, solved, solved ? '' : note);
      props.onDone();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="banner" data-testid="feedback">
      <p><b>问题解决了吗？</b></p>
      {!notSolved ? (
        <p>
          <button type="button" class="btn" disabled={busy} data-testid="feedback-yes" onClick={() => send(true)}>解决了</button>{' '}
          <button type="button" class="btn" disabled={busy} data-testid="feedback-no" onClick={() => setNotSolved(true)}>没有解决</button>
        </p>
      ) : (
        <>
          <label for="fb-note">还有什么问题？（选填）</label>
          <textarea id="fb-note" maxLength={500} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
          <button type="button" class="btn block" disabled={busy} data-testid="feedback-send" onClick={() => send(false)}>
            提交，请重新处理</button>
        </>
      )}
      {error && <p role="alert">{error}</p>}
    </div>
  );
}
