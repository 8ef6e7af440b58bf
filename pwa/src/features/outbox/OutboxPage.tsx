/** 待发送: every outbox item with its state, progress and the server's message; fix, resend, export. */
import { useEffect, useState } from 'preact/hooks';
import { outboxStore, reachableStore, refreshOutbox, sessionStore, syncLoop, syncStore } from '../../app-state';
import { saveDraft } from '../../db/drafts';
import type { OutboxItem, OutboxState } from '../../db/types';
import { acknowledge, discard, enqueue, refusedForContent, reopenForEdit, resend } from '../../outbox/outbox';
import { waitingText } from '../../outbox/after';
import { editableFields, lossDescription, revision } from '../../outbox/revise';
import { navigate } from '../../router';
import { useStore } from '../../store';
import { Banner, ConfirmDialog, Progress, formatTime } from '../../ui/components';
import { acceptedText } from './messages';
import { buildExport, downloadExport, importExport } from './transfer';

const KIND_LABELS: Record<OutboxItem['kind'], string> = { inspection: '检查', hazard: '随手拍', transition: '隐患处理',
  selfcheck: '自查自报', site: '新增场所' };

export const STATE_LABELS: Record<OutboxState, string> = {
  draft: '修改中',
  queued: '排队等待发送',
  sending: '正在发送',
  sent: '已送达',
  acknowledged: '已完成',
  needs_attention: '需要处理',
  superseded: '已被新版本替代',
  discarded: '已放弃（数据仍在本机，可导出）',
};

/** The inline form correcting a refused 随手拍 or workflow step: its fields with their data, resent as a revision. */
function CorrectionForm(props: { item: OutboxItem; onDone: (m: string) => void; onCancel: () => void }) {
  const { item } = props;
  const fields = editableFields(item);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(
    fields.map((f) => [f.name, item.payload[f.name] == null ? '' : String(item.payload[f.name])])));
  async function send(event: Event) {
    event.preventDefault();
    await enqueue(revision(item, values, crypto.randomUUID()));
    refreshOutbox();
    void syncLoop.request({ force: true });
    props.onDone('已修改并重新排队发送。');
  }
  return (
    <form onSubmit={(e) => void send(e)} data-testid="outbox-correction">
      {fields.map((f) => {
        const id = `fix-${item.id}-${f.name}`;
        const onInput = (e: Event) => setValues({ ...values, [f.name]: (e.target as HTMLInputElement).value });
        return (
          <div key={f.name}>
            <label for={id}>{f.label}</label>
            {f.kind === 'textarea'
              ? <textarea id={id} name={f.name} value={values[f.name]} onInput={onInput} />
              : <input id={id} name={f.name} type={f.kind} value={values[f.name]} onInput={onInput} />}
          </div>
        );
      })}
      <div style="display:flex;gap:.5rem;margin-top:.5rem">
        <button type="submit" class="btn small primary">重新发送</button>
        <button type="button" class="btn small" onClick={props.onCancel}>取消修改</button>
      </div>
    </form>
  );
}

function steps(item: OutboxItem): { done: number; total: number } {
  const total = item.photoIds.length + 1;
  const done = item.uploadedPhotoIds.length + (item.state === 'sent' || item.state === 'acknowledged' ? 1 : 0);
  return { done, total };
}

function ItemRow(props: { item: OutboxItem; onMessage: (m: string) => void }) {
  const { item } = props;
  const { done, total } = steps(item);
  const [correcting, setCorrecting] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const refused = refusedForContent(item);
  // An inspection of a site registered on this phone goes out only after that site.
  const all = useStore(outboxStore);
  const waiting = item.after && item.state === 'queued' ? waitingText(all.find((i) => i.id === item.after)) : null;

  async function fix() {
    if (!item.source) {
      setCorrecting(true);
      return;
    }
    if (item.frozen) {
      // Part of it reached the server: the edit is a new revision with its own UUID.
      const id = crypto.randomUUID();
      await saveDraft({ ...item.source, id, replaces: item.id });
      navigate(`/drafts/${id}`);
    } else {
      await reopenForEdit(item.id);
      await saveDraft({ ...item.source, id: item.id });
      refreshOutbox();
      navigate(`/drafts/${item.id}`);
    }
  }

  return (
    <li class="card" data-testid="outbox-item" data-state={item.state} data-id={item.id}>
      <div><b>{KIND_LABELS[item.kind]}</b> · {item.label}</div>
      <div class={`state state-${item.state}`} data-testid="outbox-state">{STATE_LABELS[item.state]}
        {item.state === 'queued' && item.attempts > 0 ? `（已重试 ${item.attempts} 次，${formatTime(new Date(item.nextAttemptAt).toISOString()).slice(-8)} 再试）` : ''}
      </div>
      {waiting && <small class="muted" data-testid="outbox-waiting">{waiting}</small>}
      {(item.state === 'queued' || item.state === 'sending') && (
        <div>
          <Progress value={done} max={total} label="发送进度" />
          <small class="muted">照片 {item.uploadedPhotoIds.length}/{item.photoIds.length}</small>
        </div>
      )}
      {item.lastError && (item.state === 'needs_attention' || (item.state === 'queued' && item.attempts > 0)) && (
        <div class={item.state === 'needs_attention' ? 'banner error' : 'muted'} data-testid="outbox-error">
          {/* With field errors their messages say it all; the summary line names fields by their codes. */}
          {item.lastError.errors && item.lastError.errors.length > 0
            ? <ul class="errors">{item.lastError.errors.map((e, i) => <li key={i}>{e.message}</li>)}</ul>
            : item.lastError.detail}
          {refused && <div>原样重发不会成功：请修改后重发，或放弃这条记录。</div>}
        </div>
      )}
      {item.state === 'sent' && <div data-testid="outbox-accepted">{acceptedText(item)}</div>}
      <small class="muted">创建于 {formatTime(item.createdAt)}{item.replaces ? ' · 替代之前的一条记录' : ''}</small>
      <div style="display:flex;gap:.5rem;flex-wrap:wrap;margin-top:.4rem">
        {item.state === 'needs_attention' && !correcting && <>
          {(item.source || editableFields(item).length > 0) &&
            <button type="button" class="btn small primary" onClick={() => void fix()}>修改后重发</button>}
          {!refused && <button type="button" class="btn small" onClick={() => void resend(item.id).then(() => {
            refreshOutbox();
            void syncLoop.request();
          })}>原样重发</button>}
          <button type="button" class="btn small danger" onClick={() => setConfirming(true)}>放弃</button>
        </>}
        {item.state === 'draft' && <a class="btn small" href={`/drafts/${item.id}`}>继续修改</a>}
        {item.state === 'sent' && <button type="button" class="btn small"
          onClick={() => void acknowledge(item.id).then(refreshOutbox)}>知道了</button>}
      </div>
      {correcting && <CorrectionForm item={item} onCancel={() => setCorrecting(false)}
        onDone={(m) => { setCorrecting(false); props.onMessage(m); }} />}
      {confirming && (
        <ConfirmDialog title="放弃这条记录？" confirmLabel="确认放弃" danger testid="discard-dialog"
          onCancel={() => setConfirming(false)}
          onConfirm={() => void discard(item.id).then(() => {
            setConfirming(false);
            refreshOutbox();
            props.onMessage(`已放弃「${item.label}」。它的数据仍保存在本机，可用「导出全部未发送数据」导出。`);
          })}>
          <p data-testid="discard-loss">{lossDescription(item)}</p>
          <p>放弃后这条记录不会再发送，也不再计入待发送数量；数据仍保留在本机，「导出全部未发送数据」的文件里包含它。</p>
        </ConfirmDialog>
      )}
    </li>
  );
}

export function OutboxPage() {
  const items = useStore(outboxStore);
  const sync = useStore(syncStore);
  const reachable = useStore(reachableStore);
  const session = useStore(sessionStore);
  const [message, setMessage] = useState<string | null>(null);
  const [showDone, setShowDone] = useState(false);

  useEffect(refreshOutbox, []);

  const finished = (i: OutboxItem) => ['acknowledged', 'superseded', 'discarded'].includes(i.state);
  const open = items.filter((i) => !finished(i));
  const done = items.filter(finished);

  async function exportAll() {
    const file = await buildExport(session?.user.mobile ?? null);
    downloadExport(file);
    setMessage(`已导出 ${file.items.length} 条未发送或已放弃的记录、${file.drafts.length} 份草稿和 ${file.photos.length} 张照片。`);
  }

  async function importFile(event: Event) {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const r = await importExport(await file.text());
      setMessage(`已导入 ${r.items} 条记录、${r.drafts} 份草稿、${r.photos} 张照片。`);
      refreshOutbox();
      void syncLoop.request();
    } catch (e) {
      setMessage((e as Error).message);
    }
  }

  return (
    <div>
      {sync.authPaused && <Banner kind="error">登录已过期，发送已暂停。<a href="/login?next=/outbox">重新登录</a>后自动继续，数据不会丢失。</Banner>}
      {reachable === false && <Banner>当前无法连接服务器，记录已安全保存在本机，联网后自动发送。</Banner>}
      <button type="button" class="btn primary block" disabled={sync.running}
        onClick={() => void syncLoop.request({ force: true })}>{sync.running ? '正在发送…' : '立即发送'}</button>
      {message && <Banner kind="info">{message}</Banner>}
      {open.length === 0 && <p class="muted">没有待发送的记录。</p>}
      <ul class="list" data-testid="outbox-list">
        {open.map((item) => <ItemRow key={item.id} item={item} onMessage={setMessage} />)}
      </ul>
      {done.length > 0 && (
        <button type="button" class="link" onClick={() => setShowDone(!showDone)}>
          {showDone ? '隐藏' : '显示'}已完成的 {done.length} 条
        </button>
      )}
      {showDone && <ul class="list">{done.map((item) => <ItemRow key={item.id} item={item} onMessage={setMessage} />)}</ul>}
      <h2>备用导出</h2>
      <p class="muted">网络长期不通或要换手机时，可把所有未发送的数据（含照片）导出为文件，交管理员导入。</p>
      <button type="button" class="btn block" onClick={() => void exportAll()}>导出全部未发送数据</button>
      <label class="btn block camera">导入数据文件
        <input type="file" accept="application/json,.json" onChange={importFile} />
      </label>
    </div>
  );
}
