/** The bell in the header: unread notices, refreshed on every screen change, on return to the app and each minute. */
import { useEffect } from 'preact/hooks';
import { useStore } from '../../store';
import { refreshUnread, unreadStore } from './api';
import './inbox.css';

const REFRESH_MS = 60_000;

export function Bell(props: { path: string; class?: string }) {
  const unread = useStore(unreadStore);
  useEffect(() => {
    void refreshUnread();
  }, [props.path]);
  useEffect(() => {
    const again = () => document.visibilityState === 'visible' && void refreshUnread();
    const timer = setInterval(again, REFRESH_MS);
    document.addEventListener('visibilitychange', again);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', again);
    };
  }, []);
  const label = unread ? `消息，${unread} 条未读` : '消息';
  return (
    <a href="/inbox" class={`bell ${props.class ?? ''}`} aria-label={label} data-testid="bell" data-unread={unread ?? 0}>
      <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true"><path fill="currentColor"
        d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" /></svg>
      {unread ? <span class="bell-count" data-testid="bell-count">{unread > 99 ? '99+' : unread}</span> : null}
    </a>
  );
}
