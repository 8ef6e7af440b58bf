/** 场所列表: search my sites, from the offline copy, refreshed when the API is reachable. */
import { useEffect, useState } from 'preact/hooks';
import type { Site } from '../../api/types';
import { outboxStore, sessionStore } from '../../app-state';
import { useStore } from '../../store';
import { Banner, ago } from '../../ui/components';
import { cachedSites, refreshSites, searchSites } from './data';
import { fieldSites } from './field';

/** 现场新增 on this phone that the server has not approved yet: usable at once. */
function FieldSites() {
  const items = useStore(outboxStore);
  const mine = fieldSites(items).filter((s) => s.serverId === null || s.state !== 'acknowledged');
  if (mine.length === 0) return null;
  return (
    <section data-testid="field-sites">
      <h3>本机新增的场所</h3>
      <ul class="list">
        {mine.map((s) => (
          <li key={s.id}><a href={`/field-sites/${s.id}`}>{s.name}<br />
            <small>{s.address} · {s.serverId ? '已发送，待审核' : '待发送'}</small></a></li>
        ))}
      </ul>
    </section>
  );
}

export function SiteListPage() {
  const [sites, setSites] = useState<Site[] | null>(null);
  const [fetchedAt, setFetchedAt] = useState<string | null>(null);
  const [q, setQ] = useState('');
  const [refreshError, setRefreshError] = useState(false);

  useEffect(() => {
    let live = true;
    void cachedSites().then((entry) => {
      if (!live || !entry) return;
      setSites(entry.data);
      setFetchedAt(entry.fetchedAt);
    });
    refreshSites().then((entry) => {
      if (!live) return;
      setSites(entry.data);
      setFetchedAt(entry.fetchedAt);
      setRefreshError(false);
    }).catch(() => live && setRefreshError(true));
    return () => {
      live = false;
    };
  }, []);

  const shown = sites ? searchSites(sites, q) : [];
  const session = useStore(sessionStore);
  const gridWorker = ((session?.user.grants ?? []) as { role?: string }[]).some((g) => g.role === 'grid_worker');
  return (
    <div>
      {gridWorker && <a class="btn block" href="/sites/new" data-testid="register-site-link">＋ 新增场所（登记册里没有的）</a>}
      <FieldSites />
      <label for="site-q">搜索场所</label>
      <input id="site-q" type="search" placeholder="名称、地址或信用代码" value={q}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      <p class="muted" data-testid="sites-freshness">
        {refreshError ? '离线 · ' : ''}场所数据更新于 {ago(fetchedAt)}
      </p>
      {sites === null && (refreshError
        ? <Banner kind="error">还没有离线场所数据。请联网后打开本页面一次。</Banner>
        : <p>正在加载…</p>)}
      {sites && shown.length === 0 && <p class="muted">没有找到匹配的场所。</p>}
      <ul class="list" data-testid="site-list">
        {shown.slice(0, 200).map((s) => (
          <li key={s.id}>
            <a href={`/sites/${s.id}`}>
              {s.name}
              <br /><small>{s.address}{s.grid_name ? ` · ${s.grid_name}` : ''}</small>
            </a>
          </li>
        ))}
      </ul>
      {shown.length > 200 && <p class="muted">仅显示前 200 个，请输入关键词缩小范围。</p>}
    </div>
  );
}
