/** 今日任务: my drafts and unsent work now; due patrols and 待复查 hazards once the hazards API lands. */
import { useEffect, useState } from 'preact/hooks';
import { outboxStore, sessionStore } from '../../app-state';
import { listDrafts } from '../../db/drafts';
import type { Draft } from '../../db/types';
import { UNSENT_STATES } from '../../outbox/outbox';
import { useStore } from '../../store';
import { ago, formatTime } from '../../ui/components';
import { cachedSites, offlineDataStore } from '../sites/data';

export function TodayPage() {
  const session = useStore(sessionStore);
  const items = useStore(outboxStore);
  const offline = useStore(offlineDataStore);
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [siteCount, setSiteCount] = useState<number | null>(null);
  const [fetchedAt, setFetchedAt] = useState<string | null>(null);

  useEffect(() => {
    void listDrafts().then(setDrafts);
    void cachedSites().then((entry) => {
      setSiteCount(entry?.data.length ?? null);
      setFetchedAt(entry?.fetchedAt ?? null);
    });
  }, [offline.completedAt]);

  const unsent = items.filter((i) => UNSENT_STATES.includes(i.state));
  const attention = unsent.filter((i) => i.state === 'needs_attention').length;

  return (
    <div>
      <p>您好，{session?.user.display_name}。</p>
      <div class="stats">
        <a class="stat" href="/sites"><b>{siteCount ?? '—'}</b>我的场所</a>
        <a class="stat" href="/outbox"><b>{unsent.length}</b>待发送{attention ? `（${attention} 条需处理）` : ''}</a>
      </div>
      <p class="muted" data-testid={offline.completedAt ? 'offline-ready' : 'offline-pending'}>
        {offline.running ? '正在更新离线数据…' : `离线数据更新于 ${ago(fetchedAt)}`}
      </p>

      <h2>我的草稿</h2>
      {drafts.length === 0 ? <p class="muted">没有未完成的检查。</p> : (
        <ul class="list">
          {drafts.map((d) => (
            <li key={d.id}>
              <a href={`/drafts/${d.id}`}>
                {d.siteName} · {d.checklistTitle}
                <br /><small>已答 {Object.keys(d.answers).length} 项 · 保存于 {formatTime(d.updatedAt)}</small>
              </a>
            </li>
          ))}
        </ul>
      )}

      <h2>待巡查场所</h2>
      <p class="muted">巡查计划（每个场所按周期巡查、逾期优先）将在巡查计划接口上线后显示。现在请从“场所”进入。</p>
      <h2>待复查隐患</h2>
      <p class="muted">隐患接口上线后，这里列出本网格等待复查的隐患。</p>
    </div>
  );
}
