/** 消息推送: turn on Web Push for this phone (after a tap), and the list of my devices that receive it. */
import { useEffect, useState } from 'preact/hooks';
import { apiPath, request } from '../../api/http';
import { Banner } from '../../ui/components';

interface Device { id: number; device_label: string; created_at: string; last_sent_at: string | null }

const NO_PUSH = '这台手机的浏览器无法接收推送（很多国产手机的浏览器没有可用的推送服务）。'
  + '消息仍会出现在「消息」里，交办、提醒等重要通知也会按短信设置发到您的手机。';

const PUSH_NOTE = '推送要靠手机浏览器自带的推送服务：部分国产手机和微信内打开时收不到推送，也可能在锁屏或省电模式下延迟。'
  + '收不到推送时，消息仍在「消息」里，重要通知按上面的短信设置发送。';

function b64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob((text + '='.repeat((4 - (text.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function deviceLabel(): string {
  const ua = navigator.userAgent;
  const model = /;\s*([^;()]+?)\s+Build\//.exec(ua)?.[1] ?? (/iPhone/.test(ua) ? 'iPhone' : /Android/.test(ua) ? '安卓手机' : '电脑');
  const browser = /MicroMessenger/.test(ua) ? '微信' : /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : '浏览器';
  return `${model} · ${browser}`.slice(0, 100);
}

/** Whether this browser has the Web Push interfaces at all (many in-app and Chinese phone browsers do not). */
function pushAvailable(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** Subscribe this browser; throws an Error with a Chinese message when the phone cannot receive push. */
async function subscribeHere(): Promise<void> {
  if (!pushAvailable()) throw new Error(NO_PUSH);
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('您没有允许通知。可在浏览器的网站设置里允许后再试；消息仍会出现在「消息」里。');
  const key = (await request<{ public_key: string }>('GET', apiPath('/notifications/push/public-key'))).data!.public_key;
  const registration = await navigator.serviceWorker.ready;
  let subscription: PushSubscription;
  try {
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(key) });
  } catch {
    throw new Error(NO_PUSH);
  }
  const json = subscription.toJSON();
  await request('POST', apiPath('/notifications/push/subscriptions'), {
    json: { endpoint: json.endpoint, keys: json.keys, device_label: deviceLabel() },
  });
}

export function PushSettings() {
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => request<Device[]>('GET', apiPath('/notifications/push/subscriptions'))
    .then((r) => setDevices(r.data ?? []), () => setDevices(null));
  useEffect(() => {
    void load();
  }, []);

  async function turnOn() {
    setBusy(true);
    setMessage(null);
    try {
      await subscribeHere();
      setMessage({ kind: 'info', text: '已开启：新消息会推送到这台手机。' });
      await load();
    } catch (e) {
      setMessage({ kind: 'error', text: e instanceof Error && /[\u4e00-\u9fff]/.test(e.message) ? e.message : NO_PUSH });
    } finally {
      setBusy(false);
    }
  }

  async function remove(id: number) {
    await request('DELETE', apiPath(`/notifications/push/subscriptions/${id}`)).catch(() => undefined);
    await load();
  }

  return (
    <section data-testid="push-settings">
      <h2>消息推送</h2>
      {pushAvailable() ? (
        <button type="button" class="btn block" disabled={busy} data-testid="push-on" onClick={turnOn}>
          {busy ? '正在开启…' : '在这台手机上接收推送'}</button>
      ) : <Banner kind="info" testid="push-unavailable">{NO_PUSH}</Banner>}
      <p class="muted" data-testid="push-note">{PUSH_NOTE}</p>
      {message && <Banner kind={message.kind} testid="push-message">{message.text}</Banner>}
      {devices && devices.length > 0 && (
        <ul class="inbox-list" data-testid="push-devices">
          {devices.map((d) => (
            <li key={d.id} class="inbox-item">
              <b>{d.device_label}</b>
              <button type="button" class="secondary" onClick={() => remove(d.id)}>不再推送到此设备</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
