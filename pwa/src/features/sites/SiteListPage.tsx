/** 场所列表: search my sites, from the offline copy, refreshed when the API is reachable. */
import { useEffect, useState } from 'preact/hooks';
import type { Site } from '../../api/types';
import { Banner, ago } from '../../ui/components';
import { cachedSites, refreshSites, searchSites } from './data';

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
  return (
    <div>
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
