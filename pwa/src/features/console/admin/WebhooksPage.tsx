/** 对接系统（Webhook） (console, administrators): the outside systems — the 12345 hotline platform, the city's
 * supervision platform — that receive signed hazard events: add one, test it, change its secret, switch it off. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Banner, formatTime } from '../../../ui/components';
import { ListTable, Section, errorText, useLoad } from '../ui';
import { type Label, type Webhook, type WebhookSecret, adminApi } from './api';
import './admin.css';

function value(e: Event): string {
  return (e.target as HTMLInputElement).value;
}

function eventsText(kinds: string[], labels: Map<string, string>): string {
  return kinds.length === 0 ? '全部事件' : kinds.map((k) => labels.get(k) ?? k).join('、');
}

async function copy(text: string, field: HTMLElement | null): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard here (plain http off localhost, or refused): select the secret so copying by hand is one keystroke.
    if (field) window.getSelection()?.selectAllChildren(field);
    throw new Error('无法自动复制，已选中密钥，请按 Ctrl+C 复制。');
  }
}

/** The signing secret, shown this once, with a copy button and the warning that it will not be shown again. */
function SecretOnce(props: { secret: WebhookSecret; rotated: boolean }) {
  const [copied, setCopied] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  let field: HTMLElement | null = null;
  // Issued from a row further down: bring it into sight once (the component is keyed by the secret).
  useEffect(() => box.current?.scrollIntoView({ block: 'nearest' }), []);
  return (
    <div ref={box}><Banner kind="warn" testid="webhook-secret-banner">
      <p>{props.rotated ? `「${props.secret.name}」的新签名密钥：` : `「${props.secret.name}」的签名密钥：`}</p>
      <p><code class="admin-password admin-secret" data-testid="webhook-secret" ref={(el) => { field = el; }}>
        {props.secret.secret}</code>{' '}
        <button type="button" class="btn small" data-testid="webhook-secret-copy" onClick={() => {
          copy(props.secret.secret, field).then(() => setCopied('已复制到剪贴板。'), (e: Error) => setCopied(e.message));
        }}>复制密钥</button></p>
      {copied && <p data-testid="webhook-secret-copied">{copied}</p>}
      <p><strong>密钥只显示这一次，关闭或离开本页后无法再次查看。</strong>{'请立即复制，并通过安全渠道交给对方系统的管理员，'}
        {'对方用它核验每条推送的签名。'}
        {props.rotated && props.secret.previous_secret_valid && '对方换用新密钥之前，旧密钥仍可用于验签，直到下次更换。'}</p>
    </Banner></div>
  );
}

function WebhookRow(props: { hook: Webhook; labels: Map<string, string>; onSecret: (s: WebhookSecret) => void }) {
  const [hook, setHook] = useState(props.hook);
  const [message, setMessage] = useState<string | null>(null);
  const [confirmRotate, setConfirmRotate] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function run(work: () => Promise<string>) {
    setMessage(null);
    setError(null);
    setBusy(true);
    try {
      setMessage(await work());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <tr data-testid="webhook-row" data-id={hook.id} data-active={String(hook.active)}>
      <td data-label="对接系统"><strong>{hook.name}</strong><br /><span class="admin-agent">{hook.url}</span></td>
      <td data-label="订阅事件" data-testid="webhook-events">{eventsText(hook.event_kinds, props.labels)}</td>
      <td data-label="状态" data-testid="webhook-state">{hook.active ? '已启用' : `已停用（${formatTime(hook.disabled_at)}）`}
        <br /><span class="muted">{hook.secret_rotated_at ? `密钥更换于 ${formatTime(hook.secret_rotated_at)}`
          : `添加于 ${formatTime(hook.created_at)}`}</span></td>
      <td data-label="操作">
        <div class="button-row">
          {/* The server refuses a test delivery to a disabled subscriber (409): offered only while enabled. */}
          {hook.active && <button type="button" class="btn small" disabled={busy} data-testid="webhook-ping"
            onClick={() => void run(async () => {
              await adminApi.pingWebhook(hook.id);
              return `测试消息已发出，正在投递到「${hook.name}」；送达失败会自动重试，可在「投递记录」或对方系统核对。`;
            })}>发送测试</button>}
          {confirmRotate ? <>
            <button type="button" class="btn small primary" disabled={busy} data-testid="webhook-rotate-confirm"
              onClick={() => {
                setConfirmRotate(false);
                void run(async () => {
                  const secret = await adminApi.rotateWebhookSecret(hook.id);
                  setHook(secret);
                  props.onSecret(secret);
                  return '密钥已更换，新密钥显示在本页上方，请交给对方系统。';
                });
              }}>确认更换密钥</button>
            <button type="button" class="link" onClick={() => setConfirmRotate(false)}>取消</button>
          </> : <button type="button" class="btn small" disabled={busy} data-testid="webhook-rotate"
            onClick={() => setConfirmRotate(true)}>更换密钥</button>}
          <button type="button" class="btn small" disabled={busy} data-testid="webhook-toggle"
            onClick={() => void run(async () => {
            setHook(await adminApi.editWebhook(hook.id, { active: !hook.active }));
            return hook.active ? `已停用「${hook.name}」，不再向它推送事件。` : `已启用「${hook.name}」。`;
          })}>{hook.active ? '停用' : '启用'}</button>
        </div>
        {message && <Banner kind="info" testid="webhook-message">{message}</Banner>}
        {error && <Banner kind="error" testid="webhook-error">{error}</Banner>}
      </td>
    </tr>
  );
}

function CreateWebhook(props: { kinds: Label[]; onCreated: (s: WebhookSecret) => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function create() {
    // Checked here first (lengths by maxLength): the server's refusal of these names its fields (name, url) in English.
    if (name.trim().length < 2) return setError('请填写对接系统的名称（至少两个字）。');
    if (!/^https?:\/\/[^\s/]+/i.test(url.trim())) return setError('接收地址应以 http:// 或 https:// 开头。');
    setError(null);
    setBusy(true);
    try {
      props.onCreated(await adminApi.createWebhook({ name: name.trim(), url: url.trim(), event_kinds: chosen }));
      setName(''); setUrl(''); setChosen([]);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Section title="新增对接系统" testid="create-webhook">
      <div class="admin-form">
        <label>名称（如 12345 热线平台）<input type="text" value={name} maxLength={100} data-testid="webhook-name"
          onInput={(e) => setName(value(e))} /></label>
        <label>接收地址<input type="url" value={url} maxLength={500} data-testid="webhook-url" placeholder="https://"
          onInput={(e) => setUrl(value(e))} /></label>
      </div>
      <fieldset class="admin-events">
        <legend>推送哪些事件（都不勾选即推送全部事件）</legend>
        <div class="admin-domains" data-testid="webhook-kinds">{props.kinds.map((k) => (
          <label key={k.code}><input type="checkbox" checked={chosen.includes(k.code)} data-kind={k.code}
            onChange={(e) => setChosen((e.target as HTMLInputElement).checked
              ? [...chosen, k.code] : chosen.filter((c) => c !== k.code))} />{k.label}</label>))}
        </div>
      </fieldset>
      <div class="button-row"><button type="button" class="btn primary" disabled={busy} data-testid="webhook-create"
        onClick={() => void create()}>添加</button></div>
      {error && <Banner kind="error" testid="create-webhook-error">{error}</Banner>}
    </Section>
  );
}

export function WebhooksPage() {
  const kinds = useLoad(() => adminApi.webhookEventKinds(), []);
  const hooks = useLoad(async () => ({ items: await adminApi.webhooks() }), []);
  // The secret last issued (on adding or on rotating): only the newest is shown, and only until the page is left.
  const [issued, setIssued] = useState<{ secret: WebhookSecret; rotated: boolean } | null>(null);
  const labels = new Map((kinds.data ?? []).map((k) => [k.code, k.label]));
  return (
    <div class="admin-page" data-testid="admin-webhooks">
      <div class="page-head"><h1>对接系统（Webhook）</h1></div>
      <p class="muted">向 12345 热线平台、城市运行管理平台等外部系统推送隐患事件。每条推送都附有签名，对方用签名密钥核验确实来自本系统。</p>
      {issued && <SecretOnce key={issued.secret.secret} secret={issued.secret} rotated={issued.rotated} />}
      <Section title="对接系统">
        <ListTable loaded={hooks} class="data admin-table" testid="webhooks" columns={4} empty="还没有对接系统。"
          head={<><th>对接系统</th><th>订阅事件</th><th>状态</th><th>操作</th></>}
          row={(h) => <WebhookRow key={h.id} hook={h} labels={labels}
            onSecret={(s) => setIssued({ secret: s, rotated: true })} />} />
      </Section>
      {kinds.data && <CreateWebhook kinds={kinds.data} onCreated={(s) => {
        setIssued({ secret: s, rotated: false });
        hooks.reload();
      }} />}
      {kinds.error && <Banner kind="error">{kinds.error}</Banner>}
    </div>
  );
}
