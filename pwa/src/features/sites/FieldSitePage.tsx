/**
 * A site registered on this phone (现场新增): its state in the outbox and, at once, the checklists for an
 * inspection — before the site reaches the server too (the outbox sends the site first).
 */
import { useEffect, useState } from 'preact/hooks';
import { checklistsKey } from '../../api/data';
import type { ChecklistSummary, Site } from '../../api/types';
import { outboxStore, sitesChanged } from '../../app-state';
import { getCached } from '../../db/cache';
import { navigate } from '../../router';
import { useStore } from '../../store';
import { Banner } from '../../ui/components';
import { ChecklistUnavailable, startInspection } from '../inspection/start';
import { applicable } from './data';
import { mergedInto } from './merged';

const STATE_WORDS: Record<string, string> = {
  queued: '待发送（联网后自动发送）', sending: '正在发送…', draft: '待发送',
  sent: '已发送，等待街道审核', acknowledged: '已发送，等待街道审核', needs_attention: '发送被拒，请到“待发送”处理',
};

export function FieldSitePage(props: { id: string }) {
  const items = useStore(outboxStore);
  const item = items.find((i) => i.id === props.id);
  const [checklists, setChecklists] = useState<ChecklistSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const category = String(item?.payload.category ?? '');

  useEffect(() => {
    if (!category) return;
    void getCached<ChecklistSummary[]>(checklistsKey(null)).then((all) => {
      const pseudo = { category, domains: [] } as unknown as Site;
      setChecklists(all ? applicable(all.data, pseudo) : []);
    });
  }, [category]);

  const sentId = Number(item?.response?.id) > 0 ? Number(item?.response?.id) : null;
  const changed = useStore(sitesChanged);
  // Merged into a registered site (合并重复场所) after it synced: the surviving site takes its place here.
  const [survivor, setSurvivor] = useState<{ id: number; name: string } | null>(null);
  useEffect(() => {
    if (sentId) void mergedInto(sentId).then(setSurvivor);
  }, [sentId, changed]);

  if (!item) return <p>正在读取…</p>;
  const serverId = survivor?.id ?? sentId;
  const name = String(item.payload.name ?? '');

  async function start(c: ChecklistSummary) {
    setError(null);
    try {
      const draft = await startInspection({ id: serverId ?? 0, name: survivor?.name ?? name }, c,
        { mode: 'routine', siteClientId: serverId ? null : props.id });
      navigate(`/drafts/${draft.id}`);
    } catch (e) {
      setError(e instanceof ChecklistUnavailable ? e.message : `无法开始检查：${(e as Error).message}`);
    }
  }

  return (
    <div data-testid="field-site">
      <h2>{name}</h2>
      <p><span class="badge" data-testid="field-site-state">{survivor ? `已合并到已登记场所「${survivor.name}」`
        : STATE_WORDS[item.state] ?? item.state}</span></p>
      <p class="muted">{String(item.payload.address ?? '')}</p>
      {item.lastError && item.state === 'needs_attention' && <Banner kind="error">{item.lastError.detail}</Banner>}
      {serverId && <p><a href={`/sites/${serverId}`} data-testid="field-site-open">打开场所页</a></p>}
      <h3>开始检查</h3>
      <p class="muted">场所尚未审核也可以检查；检查记录在场所发送成功后随即发送。</p>
      {error && <Banner kind="error">{error}</Banner>}
      {checklists === null ? <p>正在加载检查表…</p> : checklists.length === 0
        ? <Banner>本机没有适用于该类别的检查表，请联网后打开“场所”页面一次。</Banner>
        : checklists.map((c) => (
          <button key={c.id} type="button" class="btn block" data-testid="start-inspection" onClick={() => void start(c)}>
            {c.title}</button>
        ))}
    </div>
  );
}
