/** 我的: who is logged in, 大字模式, change password (forced after an administrator created the account), 退出其他设备, 退出登录. */
import { useState } from 'preact/hooks';
import { changePassword, fetchSession, logout, logoutOthers } from '../../api/auth';
import { HttpError } from '../../api/http';
import { forgetSession, outboxStore, rememberSession, sessionStore } from '../../app-state';
import { UNSENT_STATES } from '../../outbox/outbox';
import { navigate } from '../../router';
import { useStore } from '../../store';
import { Banner, ConfirmDialog } from '../../ui/components';
import { largeTextOn, setLargeText } from '../../ui/textsize';

const ROLE_LABELS: Record<string, string> = {
  admin: '系统管理员', supervisor: '街道监管', inspector: '执法人员', grid_worker: '网格员', enterprise_user: '企业用户',
};

function problemText(e: unknown): string {
  if (e instanceof HttpError) return [e.problem.detail, ...(e.problem.errors ?? []).map((x) => x.message)].join(' ');
  return '无法连接服务器，请联网后再试。';
}

/** The password form; ``forced``: the first login of an account an administrator created. */
export function PasswordForm(props: { forced?: boolean; onDone: (message: string) => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    if (next.length < 8) return setError('新密码至少 8 位。');
    if (next !== again) return setError('两次输入的新密码不一致。');
    setBusy(true);
    try {
      await changePassword(current, next);
      await rememberSession(await fetchSession());
      props.onDone('密码已修改。其他设备上的登录已退出，本机保持登录。');
    } catch (e) {
      setError(problemText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} data-testid="password-form">
      {props.forced && <Banner kind="info">您现在用的是发给您的初始密码（管理员告知或短信发送）。为保护账号安全，请先设置只有您自己知道的新密码。</Banner>}
      <label for="pw-current">{props.forced ? '初始密码（管理员告知或短信收到的）' : '当前密码'}</label>
      <input id="pw-current" type="password" autocomplete="current-password" required value={current}
        onInput={(e) => setCurrent((e.target as HTMLInputElement).value)} />
      <label for="pw-new">新密码（至少 8 位）</label>
      <input id="pw-new" type="password" autocomplete="new-password" required minLength={8} value={next}
        onInput={(e) => setNext((e.target as HTMLInputElement).value)} />
      <label for="pw-again">再次输入新密码</label>
      <input id="pw-again" type="password" autocomplete="new-password" required value={again}
        onInput={(e) => setAgain((e.target as HTMLInputElement).value)} />
      {error && <Banner kind="error" testid="password-error">{error}</Banner>}
      <button type="submit" class="btn primary block" disabled={busy}>{busy ? '正在修改…' : '修改密码'}</button>
    </form>
  );
}

/** 退出登录 from the first-password screen: a person handed the wrong account can always leave. */
export function LogoutButton() {
  async function leave() {
    try {
      await logout();
    } catch {
      // Offline: the server session simply expires; this device forgets it now.
    }
    await forgetSession();
    navigate('/login', { replace: true });
  }
  return <button type="button" class="btn block" data-testid="forced-logout" onClick={() => void leave()}>退出登录</button>;
}

/** 大字模式 switch: a real checkbox, so its state is announced and it works with a keyboard. */
export function TextSizeSwitch() {
  const [on, setOn] = useState(largeTextOn());
  return (
    <label class="toggle textsize" data-testid="large-text">
      <span>大字模式（字体放大、按钮加大，本机记住）</span>
      <input type="checkbox" checked={on} onChange={(e) => {
        const value = (e.target as HTMLInputElement).checked;
        setLargeText(value);
        setOn(value);
      }} />
    </label>
  );
}

export function AccountPage() {
  const session = useStore(sessionStore);
  const items = useStore(outboxStore);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [changing, setChanging] = useState(false);
  const [confirm, setConfirm] = useState<'others' | 'logout' | null>(null);
  if (!session) return null;
  const unsent = items.filter((i) => UNSENT_STATES.includes(i.state)).length;
  const grants = (session.user.grants ?? []) as { role: string; region_name?: string; site_name?: string;
    department_name?: string }[];

  async function endOthers() {
    setConfirm(null);
    setError(null);
    try {
      const n = await logoutOthers();
      setMessage(n ? `已退出其他 ${n} 台设备上的登录，本机保持登录。` : '没有其他设备登录着您的账号。');
    } catch (e) {
      setError(problemText(e));
    }
  }

  async function endHere() {
    setConfirm(null);
    try {
      await logout();
    } catch {
      // Offline: the server session simply expires; this device forgets it now.
    }
    await forgetSession();
    navigate('/login', { replace: true });
  }

  return (
    <div data-testid="account">
      <h2>{session.user.display_name}</h2>
      <p class="muted">手机号 {session.user.mobile}</p>
      <ul class="list">
        {grants.map((g, i) => <li key={i}><div class="row">{ROLE_LABELS[g.role] ?? '其他角色'}
          {g.site_name || g.region_name ? ` · ${g.site_name ?? g.region_name}` : ''}
          {g.department_name ? ` · ${g.department_name}` : ''}</div></li>)}
      </ul>
      {message && <Banner kind="info" testid="account-message">{message}</Banner>}
      {error && <Banner kind="error">{error}</Banner>}
      <h2>显示</h2>
      <TextSizeSwitch />
      <h2>通知</h2>
      <p><a href="/inbox/settings" data-testid="notify-settings">短信与推送设置（含接收推送的设备）</a></p>
      <h2>账号安全</h2>
      {changing
        ? <PasswordForm onDone={(m) => { setChanging(false); setMessage(m); }} />
        : <button type="button" class="btn block" onClick={() => setChanging(true)}>修改密码</button>}
      <button type="button" class="btn block" onClick={() => setConfirm('others')}>退出其他设备</button>
      <button type="button" class="btn block danger" onClick={() => setConfirm('logout')}>退出登录</button>
      {confirm === 'others' && (
        <ConfirmDialog title="退出其他设备？" confirmLabel="退出其他设备" testid="others-dialog"
          onCancel={() => setConfirm(null)} onConfirm={() => void endOthers()}>
          <p>其他手机或电脑上的登录将立即失效（例如丢失或借出的手机），本机保持登录。那些设备上未发送的记录仍保存在那台设备上，重新登录后继续发送。</p>
        </ConfirmDialog>
      )}
      {confirm === 'logout' && (
        <ConfirmDialog title="退出登录？" confirmLabel="退出登录" danger testid="logout-dialog"
          onCancel={() => setConfirm(null)} onConfirm={() => void endHere()}>
          {unsent
            ? <p>本机还有 <b>{unsent}</b> 条记录未发送。退出后它们仍保存在本机，重新登录同一账号后继续发送。</p>
            : <p>退出后需要重新输入手机号和密码。</p>}
        </ConfirmDialog>
      )}
    </div>
  );
}
