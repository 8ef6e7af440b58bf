/**
 * 投递记录: every notice's SMS / e-mail / robot / Web Push delivery in my scope — 已发送, 被拒绝 (the provider's or
 * push service's reason in words), 待发送, 静默时段暂缓, 超出频次, 订阅已失效 — with the recipient masked, filterable by
 * status and channel; 重试 is offered where it can succeed.
 */
import { useState } from 'preact/hooks';
import { apiPath, request } from '../../api/http';
import { Banner } from '../../ui/components';
import { queryString } from './api';
import { ListTable, errorText, useLoad } from './ui';
import './deliveries.css';

export interface DeliveryRow {
  id: number;
  channel: string;
  channel_label: string;
  recipient: string;
  status: string;
  status_label: string;
  reason: string | null;
  title: string;
  hazard_id: number | null;
  hazard_number: string | null;
  report_id: number | null;
  report_code: string | null;
  created_at: string;
  sent_at: string | null;
  hold_until: string | null;
  can_retry: boolean;
}
interface DeliveryPage { items: DeliveryRow[]; total: number; counts: Record<string, number> }

const FILTERS: [string, string][] = [
  ['', '全部'], ['refused', '被拒绝'], ['pending', '待发送'], ['quiet_hold', '静默时段暂缓'], ['rate_hold', '超出频次'],
  ['sent', '已发送'], ['delivered', '已送达'], ['folded', '已并入汇总短信'], ['gone', '订阅已失效'],
];
const CHANNELS: [string, string][] = [
  ['', '全部渠道'], ['sms', '短信'], ['push', '浏览器推送'], ['email', '邮件'], ['wecom', '企业微信'], ['dingtalk', '钉钉'],
];

/** 12月3日 20:44 (local time; the year only when it is not this one). */
function shortTime(iso: string): string {
  const t = new Date(iso);
  const hm = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
  const year = t.getFullYear() === new Date().getFullYear() ? '' : `${t.getFullYear()}年`;
  return `${year}${t.getMonth() + 1}月${t.getDate()}日 ${hm}`;
}

async function load(status: string, channel: string): Promise<DeliveryPage> {
  const path = `/notifications/deliveries${queryString({ status, channel, per_page: 100 })}`;
  return (await request<DeliveryPage>('GET', apiPath(path))).data as DeliveryPage;
}

export function DeliveriesPage(props: { query: URLSearchParams }) {
  const [status, setStatus] = useState(props.query.get('status') ?? '');
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [channel, setChannel] = useState(props.query.get('channel') ?? '');
  const loaded = useLoad(() => load(status, channel), [status, channel]);

  async function retry(row: DeliveryRow) {
    setBusy(row.id);
    setMessage(null);
    try {
      await request('POST', apiPath(`/notifications/deliveries/${row.id}/retry`), { json: {} });
      setMessage({ kind: 'info', text: `已重新排队发送给 ${row.recipient}。` });
      loaded.reload();
    } catch (e) {
      setMessage({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(null);
    }
  }

  const counts = loaded.data?.counts ?? {};
  return (
    <div data-testid="deliveries">
      <div class="page-head">
        <h1>投递记录</h1>
        <span class="muted">{loaded.data ? `共 ${loaded.data.total} 条` : ''}</span>
      </div>
      <p class="muted">短信、浏览器推送、邮件和群机器人通知的发送情况。站内消息总会送达；短信在静默时段和超出频次时暂缓，到时自动发出；推送服务不可达时自动重试。</p>
      <div class="chips" role="group" aria-label="状态">
        {FILTERS.map(([value, label]) => (
          <button key={value} type="button" aria-pressed={status === value} data-testid={`delivery-filter-${value || 'all'}`}
            onClick={() => setStatus(value)}>
            {label}{value && counts[value] ? `（${counts[value]}）` : ''}</button>
        ))}
      </div>
      <label class="delivery-channel">渠道{' '}
        <select value={channel} data-testid="delivery-channel"
          onChange={(e) => setChannel((e.currentTarget as HTMLSelectElement).value)}>
          {CHANNELS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      </label>
      {message && <Banner kind={message.kind} testid="delivery-message">{message.text}</Banner>}
      <ListTable loaded={loaded} class="grid-table deliveries-table" testid="deliveries-table" columns={7} empty="没有记录。"
        head={<><th>时间</th><th>通知</th><th>渠道</th><th>接收人</th><th>状态</th><th>原因 / 说明</th><th /></>}
        row={(d) => (
            <tr key={d.id} data-testid="delivery-row" data-id={d.id} data-status={d.status}>
              <td data-label="时间">{shortTime(d.sent_at ?? d.created_at)}</td>
              <td class="cell-title">{d.title}
                {d.hazard_id && <><br /><small><a href={`/console/hazards/${d.hazard_id}`}>{d.hazard_number}</a></small></>}
                {d.report_id && <><br /><small><a href={`/console/reports/${d.report_id}`}>举报 {d.report_code}</a></small></>}</td>
              <td data-label="渠道">{d.channel_label}</td>
              <td data-label="接收人" data-testid="delivery-recipient">{d.recipient}</td>
              <td data-label="状态"><span class={`badge delivery-${d.status}`} data-testid="delivery-status">{d.status_label}</span></td>
              <td data-label="原因" data-testid="delivery-reason">{d.reason ?? ''}</td>
              <td>{d.can_retry && (
                <button type="button" class="btn small" disabled={busy === d.id} data-testid="delivery-retry"
                  onClick={() => retry(d)}>{busy === d.id ? '正在重试…' : '重试'}</button>)}</td>
            </tr>
        )} />
    </div>
  );
}
