/** 登录: mobile and password; the server's Chinese message is shown as is. */
import { useState } from 'preact/hooks';
import { login } from '../../api/auth';
import { HttpError } from '../../api/http';
import { rememberSession } from '../../app-state';
import { navigate } from '../../router';
import { Banner, TopBar } from '../../ui/components';
import { TextSizeSwitch } from '../account/AccountPage';
import { prefetchForOffline } from '../sites/data';

export function LoginPage(props: { next: string | null; expired: boolean }) {
  const [mobile, setMobile] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await login(mobile.trim(), password);
      await rememberSession(session);
      void prefetchForOffline();
      const next = props.next && props.next.startsWith('/') && !props.next.startsWith('//') ? props.next : '/';
      navigate(next, { replace: true });
    } catch (e) {
      if (e instanceof HttpError) {
        const fields = e.problem.errors?.map((x) => x.message).filter(Boolean) ?? [];
        setError([e.problem.detail, ...fields].join(' '));
      } else {
        setError('无法连接服务器，请检查网络后重试。已登录过的账号在离线时可直接使用。');
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="app">
      <TopBar title="隐患排查 · 登录" />
      <main>
        {props.expired && <Banner>登录已过期。请重新登录，未发送的数据会在登录后继续发送。</Banner>}
        <form onSubmit={submit} autocomplete="on">
          <label for="mobile">手机号</label>
          <input id="mobile" name="mobile" type="tel" inputMode="numeric" autocomplete="username" required
            value={mobile} onInput={(e) => setMobile((e.target as HTMLInputElement).value)} />
          <label for="password">密码</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required
            value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
          {error && <Banner kind="error" testid="login-error">{error}</Banner>}
          <button class="btn primary block" type="submit" disabled={busy}>{busy ? '正在登录…' : '登录'}</button>
        </form>
        <p class="muted">企业还没有账号？<a href="/enterprise-register" data-testid="enterprise-register-link">企业注册 / 认领本单位</a></p>
        <TextSizeSwitch />
      </main>
    </div>
  );
}
