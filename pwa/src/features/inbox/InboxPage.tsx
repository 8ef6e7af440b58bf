/** 消息: my notices grouped by local day, each opening what it is about; mark read / all read; works offline. */
import { useEffect, useState } from 'preact/hooks';
import { sessionStore } from '../../app-state';
import { navigate } from '../../router';
import { useStore } from '../../store';
import { ago, Banner } from '../../ui/components';
import { canUseConsole } from '../console/access';
import { loadInbox, markAllRead, markRead, unreadStore } from './api';
import { groupByDay, kindLabel, linkFor, localTime, type Notice } from './logic';
import './inbox.css';

export function InboxPage() {
  const session = useStore(sessionStore);
  const unread = useStore(unreadStore);
  const [items, setItems] = useState<Notice[] | null>(null);
  const [state, setState] = useState<{ offline: boolean; fetchedAt: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const console = canUseConsole(session?.user.grants);

  useEffect(() => {
    loadInbox().then((r) => {
      setItems(r.items);
      setState({ offline: r.offline, fetchedAt: r.fetchedAt });
    }, () => setError('无法连接服务器，本机也没有保存过消息。请联网后再试。'));
  }, []);

  async function open(n: Notice) {
    if (!items) return;
    setItems(await markRead(items, n.id));
    const to = linkFor(n, console);
    if (to) navigate(to);
  }

  if (error) return <Banner kind="error">{error}</Banner>;
  if (!items) return <p role="status">正在加载消息…</p>;
  const anyUnread = items.some((n) => n.read_at == null);
  return (
    <div class="inbox">
      {state?.offline && <Banner testid="inbox-offline">当前离线，显示的是{ago(state.fetchedAt)}获取的消息。</Banner>}
      <div class="inbox-actions">
        <span data-testid="inbox-unread">{unread ? `未读 ${unread} 条` : '没有未读消息'}</span>
        <button type="button" class="secondary" disabled={!anyUnread} data-testid="inbox-read-all"
          onClick={async () => setItems(await markAllRead(items))}>全部标为已读</button>
      </div>
      {items.length === 0 && <p data-testid="inbox-empty">还没有消息。交办、到期提醒、复查结果等会出现在这里。</p>}
      {groupByDay(items).map((g) => (
        <section key={g.day} aria-label={g.label}>
          <h2 class="inbox-day">{g.label}</h2>
          <ul class="inbox-list">
            {g.items.map((n) => (
              <li key={n.id}>
                <button type="button" class={`inbox-item${n.read_at == null ? ' unread' : ''}`}
                  data-testid="inbox-item" data-read={n.read_at == null ? 'false' : 'true'} onClick={() => open(n)}>
                  <span class="inbox-meta"><span class="inbox-kind">{kindLabel(n.kind)}</span>
                    {n.read_at == null && <span class="inbox-dot">未读</span>}
                    <time dateTime={n.created_at}>{localTime(n.created_at)}</time></span>
                  <b class="inbox-title">{n.title}</b>
                  {n.body && <span class="inbox-body">{n.body}</span>}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
      <p><a href="/inbox/settings" data-testid="inbox-settings">短信与推送设置</a></p>
    </div>
  );
}
