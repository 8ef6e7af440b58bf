/**
 * The entry the field app links to: loads the console chunk (ECharts and all) only when a /console page
 * is opened, so phones that never open it never download it.
 */
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { sessionStore } from '../../app-state';
import { useStore } from '../../store';
import { Bell } from '../inbox/Bell';
import { ConsoleFrame } from './ConsoleFrame';
import { startOverview } from './early';

type ConsoleComponent = FunctionComponent<{ path: string; query: URLSearchParams }>;
let loaded: ConsoleComponent | null = null;

export function ConsoleRoute(props: { path: string; query: URLSearchParams }) {
  const [Console, setConsole] = useState<ConsoleComponent | null>(() => loaded);
  const [attempt, setAttempt] = useState(0);
  const [failed, setFailed] = useState(false);
  const session = useStore(sessionStore);
  useEffect(() => {
    if (Console) return;
    // The overview's data travels with the chunk instead of waiting for it (one round trip less).
    startOverview(props.path, props.query, session?.user.grants);
    import('./ConsoleApp').then((m) => {
      loaded = m.ConsoleApp;
      setConsole(() => m.ConsoleApp);
    }).catch(() => setFailed(true));
  }, [Console, attempt]);
  // One frame, drawn at once and kept: the header (with who is signed in) does not wait for the chunk.
  return (
    <ConsoleFrame testId={Console ? 'console' : 'console-frame-loading'} userName={session?.user.display_name}
      bell={<Bell path={props.path} />}>
      {failed ? (
        <div class="banner error" role="alert" style="margin:1rem">
          监管台需要联网加载（它不随现场端离线缓存）。
          <button type="button" class="link" onClick={() => { setFailed(false); setAttempt((a) => a + 1); }}>重试</button>
        </div>
      ) : Console ? <Console path={props.path} query={props.query} />
        : <p class="boot" data-testid="console-loading">正在打开监管台…</p>}
    </ConsoleFrame>
  );
}
