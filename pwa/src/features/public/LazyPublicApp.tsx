/**
 * The public pages inside the field app's frame: what App.tsx shows a visitor without a session on a
 * public address (after logging out on a QR page, say). Loaded as its own chunk, only when needed.
 */
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

let loaded: FunctionComponent | null = null;

export function LazyPublicApp() {
  const [Public, setPublic] = useState<FunctionComponent | null>(() => loaded);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (Public) return;
    import('./PublicApp').then((m) => {
      loaded = m.PublicApp;
      setPublic(() => m.PublicApp);
    }).catch(() => setFailed(true));
  }, [Public]);
  if (failed) {
    return <div class="banner error" role="alert" style="margin:1rem">网络连接失败，请检查网络后刷新页面。</div>;
  }
  if (!Public) return <p class="boot">正在打开…</p>;
  return <Public />;
}
