/**
 * The entry the field app links to: loads the console chunk (ECharts and all) only when a /console page
 * is opened, so phones that never open it never download it.
 */
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { sessionStore } from '../../app-state';
import { startOverview } from './early';

type ConsoleComponent = FunctionComponent<{ path: string; query: URLSearchParams }>;
let loaded: ConsoleComponent | null = null;

export function ConsoleRoute(props: { path: string; query: URLSearchParams }) {
  const [Console, setConsole] = useState<ConsoleComponent | null>(() => loaded);
  const [attempt, setAttempt] = useState(0);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (Console) return;
    // The overview's data travels with the chunk instead of waiting for it (one round trip less).
    startOverview(props.path, props.query, sessionStore.get()?.user.grants);
    import('./ConsoleApp').then((m) => {
      loaded = m.ConsoleApp;
      setConsole(() => m.ConsoleApp);
    }).catch(() => setFailed(true));
  }, [Console, attempt]);
  if (failed) {
    return (
      <div class="banner error" role="alert" style="margin:1rem">
        监管台需要联网加载（它不随现场端离线缓存）。
        <button type="button" class="link" onClick={() => { setFailed(false); setAttempt((a) => a + 1); }}>重试</button>
        {' '}<a href="/">返回现场端</a>
      </div>
    );
  }
  if (!Console) return <p class="boot" data-testid="console-loading">正在打开监管台…</p>;
  return <Console path={props.path} query={props.query} />;
}
