/** 待发送: every outbox item with its state, progress and the server's message; fix, resend, export. */
import { useEffect, useState } from 'preact/hooks';
import { outboxStore, reachableStore, refreshOutbox, sessionStore, syncLoop, syncStore } from '../../app-state';
import { saveDraft } from '../../db/drafts';
import type { OutboxItem, OutboxState } from '../../db/types';
import { acknowledge, reopenForEdit, resend } from '../../outbox/outbox';
import { navigate } from '../../router';
import { useStore } from '../../store';
import { Banner, Progress, formatTime } from '../../ui/components';
import { buildExport, downloadExport, importExport } from './transfer';

const KIND_LABELS: Record<OutboxItem['kind'], string> = { inspection: '检查', hazard: '随手拍', transition: '隐患处理' };

export const STATE_LABELS: Record<OutboxState, string> = {
  draft: '修改中',
  queued: '排队等待发送',
  sending: '正在发送',
  sent: '已送达',
  acknowledged: '已完成',
  needs_attention: '需要处理',
  superseded: '已被新版本替代',
};

function steps(item: OutboxItem): { done: number; total: number } {
  const total = item.photoIds.length + 1;
  const done = item.uploadedPhotoIds.length + (item.state === 'sent' || item.state === 'acknowledged' ? 1 : 0);
  return { done, total };
}

function ItemRow(props: { item: OutboxItem; onMessage: (m: string) => void }) {
  const { item } = props;
  const { done, total } = steps(item);
  const hazards = (item.response?.hazards as { number?: string }[] | undefined) ?? [];

  async function fix() {
    if (!item.source) return;
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
      {(item.state === 'queued' || item.state === 'sending') && (
        <div>
          <Progress value={done} max={total} label="发送进度" />
          <small class="muted">照片 {item.uploadedPhotoIds.length}/{item.photoIds.length}</small>
        </div>
      )}
      {item.lastError && item.state !== 'sent' && item.state !== 'acknowledged' && (
        <div class={item.state === 'needs_attention' ? 'banner error' : 'muted'} data-testid="outbox-error">
          {item.lastError.detail}
          {item.lastError.errors && item.lastError.errors.length > 0 && (
            <ul class="errors">{item.lastError.errors.map((e, i) =>
              <li key={i}>{e.field ? `${e.field}：` : ''}{e.message}</li>)}</ul>
          )}
        </div>
      )}
      {item.state === 'sent' && (
        <div>服务器已收到{hazards.length ? `，生成隐患 ${hazards.map((h) => h.number).join('、')}` : ''}。</div>
      )}
      <small class="muted">创建于 {formatTime(item.createdAt)}{item.replaces ? ' · 替代之前的一条记录' : ''}</small>
      <div style="display:flex;gap:.5rem;flex-wrap:wrap;margin-top:.4rem">
        {item.state === 'needs_attention' && <>
          {item.source && <button type="button" class="btn small primary" onClick={() => void fix()}>修改后重发</button>}
          <button type="button" class="btn small" onClick={() => void resend(item.id).then(() => {
            refreshOutbox();
            void syncLoop.request();
          })}>原样重发</button>
        </>}
        {item.state === 'draft' && <a class="btn small" href={`/drafts/${item.id}`}>继续修改</a>}
        {item.state === 'sent' && <button type="button" class="btn small"
          onClick={() => void acknowledge(item.id).then(refreshOutbox)}>知道了</button>}
      </div>
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

  const open = items.filter((i) => i.state !== 'acknowledged' && i.state !== 'superseded');
  const done = items.filter((i) => i.state === 'acknowledged' || i.state === 'superseded');

  async function exportAll() {
    const file = await buildExport(session?.user.mobile ?? null);
    downloadExport(file);
    setMessage(`已导出 ${file.items.length} 条未发送记录、${file.drafts.length} 份草稿和 ${file.photos.length} 张照片。`);
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
