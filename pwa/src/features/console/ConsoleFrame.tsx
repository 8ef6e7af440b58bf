/**
 * 监管台's frame — the header with who is signed in — in the main bundle, so the loading console shows its
 * real frame at once instead of a blank page, and the console draws the same frame around its pages.
 */
import type { ComponentChildren } from 'preact';
import './frame.css';

export function ConsoleFrame(props: {
  userName?: string; bell?: ComponentChildren; testId: string; children: ComponentChildren;
}) {
  return (
    <div class="console" data-testid={props.testId}>
      <header class="console-top">
        <b class="console-brand">隐患排查治理 · 监管台</b>
        <span class="console-user">{props.userName}</span>
        {props.bell}
        <a href="/" class="console-exit">返回现场端</a>
      </header>
      {props.children}
    </div>
  );
}
