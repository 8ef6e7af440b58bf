/**
 * 区域与网格 (console): the region tree; for the chosen node rename it, move it under another parent, add a child,
 * and upload its boundary as GeoJSON — the server checks it is a valid polygon inside the parent and reports overlaps
 * with siblings, each in a Chinese sentence. A street supervisor maintains the grids of his street only.
 */
import { useCallback, useMemo, useRef, useState } from 'preact/hooks';
import { Banner } from '../../../ui/components';
import { RegionPicker } from '../RegionPicker';
import { LoadState, Section, errorText, useLoad } from '../ui';
import { type BoundaryCheck, type Capabilities, CHILD_LEVELS, LEVEL_LABELS, type Region, adminApi, regionPath } from './api';
import './admin.css';

function value(e: Event): string {
  return (e.target as HTMLInputElement | HTMLSelectElement).value;
}

function may(caps: Capabilities, level: string): boolean {
  return caps.manage_regions || (caps.manage_grids && level === 'grid');
}

function Boundary(props: { region: Region; onSaved: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<BoundaryCheck | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function upload() {
    const file = input.current?.files?.[0];
    if (!file) {
      setError('请先选择 GeoJSON 文件。');
      return;
    }
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const checked = await adminApi.boundary(props.region.id, file, true);
      setResult(checked);
      if (checked.saved) props.onSaved();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Section title="边界" testid="boundary">
      <p class="muted">上传 GeoJSON 文件（一个 Polygon 或 MultiPolygon，WGS-84 经纬度）。系统检查多边形是否有效、是否在上级区域之内，
        并提示与同级区域的重叠；没有问题才保存。当前{props.region.boundary ? '已有边界' : '还没有边界'}。</p>
      <div class="import-upload">
        <input id={`boundary-${props.region.id}`} ref={input} type="file" class="visually-hidden" data-testid="boundary-file"
          accept=".geojson,.json,application/geo+json,application/json"
          onChange={(e) => setChosen((e.target as HTMLInputElement).files?.[0]?.name ?? null)} />
        <label for={`boundary-${props.region.id}`} class="btn">选择文件</label>
        <span class="import-chosen">{chosen ?? '尚未选择文件'}</span>
        <button type="button" class="btn primary" disabled={busy} data-testid="boundary-upload" onClick={() => void upload()}>
          {busy ? '正在检查…' : '上传并检查'}</button>
      </div>
      {error && <Banner kind="error" testid="boundary-error">{error}</Banner>}
      {result && !result.ok && (
        <Banner kind="error" testid="boundary-problems">边界有问题，未保存：
          <ul class="admin-problems">{result.errors.map((m) => <li key={m}>{m}</li>)}</ul></Banner>)}
      {result?.saved && <Banner kind="info" testid="boundary-saved">边界已保存。</Banner>}
      {result && result.warnings.length > 0 && (
        <Banner kind="warn" testid="boundary-warnings">请核对：
          <ul class="admin-problems">{result.warnings.map((m) => <li key={m}>{m}</li>)}</ul></Banner>)}
    </Section>
  );
}

function RegionPanel(props: { region: Region; regions: Region[]; caps: Capabilities; onChanged: (id?: number) => void }) {
  const { region, regions, caps } = props;
  const byId = useMemo(() => new Map(regions.map((r) => [r.id, r])), [regions]);
  const [name, setName] = useState(region.name);
  const [parentId, setParentId] = useState<number | null>(null);
  const [childLevel, setChildLevel] = useState(CHILD_LEVELS[region.level]?.[0] ?? '');
  const [childName, setChildName] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  const detail = useLoad(() => adminApi.region(region.id), [region.id]);
  const editable = may(caps, region.level);
  const isParent = useCallback((r: Region) => r.id !== region.id && (CHILD_LEVELS[r.level] ?? []).includes(region.level)
    && !r.path.startsWith(region.path) && r.id !== region.parent_id, [region]);
  const hasParents = useMemo(() => regions.some(isParent), [regions, isParent]);
  const childLevels = (CHILD_LEVELS[region.level] ?? []).filter((lv) => may(caps, lv));

  async function act(work: () => Promise<Region>, done: string) {
    setBusy(true);
    setMessage(null);
    try {
      const changed = await work();
      setMessage({ kind: 'info', text: done });
      props.onChanged(changed.id);
    } catch (e) {
      setMessage({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <div data-testid="region-panel" data-region={region.name}>
      <Section title={`${LEVEL_LABELS[region.level] ?? ''}：${region.name}`}>
        <p class="muted">{regionPath(region, byId)}</p>
        {editable && <>
          <div class="admin-form">
            <label>名称<input type="text" value={name} data-testid="region-name" onInput={(e) => setName(value(e))} /></label>
            <button type="button" class="btn" disabled={busy || !name.trim() || name === region.name} data-testid="rename"
              onClick={() => void act(() => adminApi.editRegion(region.id, { name }), '已改名。')}>改名</button>
          </div>
          {hasParents && (
            <div class="admin-form">
              <RegionPicker label="移到（新的上级）" regions={regions} choices={isParent} value={parentId}
                onChange={setParentId} testid="move-parent" />
              <button type="button" class="btn" disabled={busy || !parentId} data-testid="move"
                onClick={() => void act(() => adminApi.editRegion(region.id, { parent_id: Number(parentId) }), '已移动。')}>移动</button>
            </div>
          )}
        </>}
        {childLevels.length > 0 && (
          <div class="admin-form" data-testid="add-child">
            <label>新增下级
              <select value={childLevel} onChange={(e) => setChildLevel(value(e))}>
                {childLevels.map((lv) => <option key={lv} value={lv}>{LEVEL_LABELS[lv]}</option>)}
              </select></label>
            <label>名称<input type="text" value={childName} data-testid="child-name" onInput={(e) => setChildName(value(e))} /></label>
            <button type="button" class="btn" disabled={busy || !childName.trim()} data-testid="add-child-submit"
              onClick={() => void act(async () => {
                const created = await adminApi.createRegion({ parent_id: region.id, level: childLevel || childLevels[0], name: childName });
                setChildName('');
                return created;
              }, '已新增。')}>新增</button>
          </div>
        )}
        {message && <Banner kind={message.kind} testid="region-message">{message.text}</Banner>}
      </Section>
      {editable && <LoadState loaded={detail}>{(full) => (
        <Boundary key={full.id} region={full} onSaved={detail.reload} />)}</LoadState>}
    </div>
  );
}

export function RegionsPage(props: { query: URLSearchParams }) {
  const caps = useLoad(() => adminApi.capabilities(), []);
  const regions = useLoad(() => adminApi.regions(), []);
  const [selected, setSelected] = useState<number | null>(Number(props.query.get('region')) || null);
  const [filter, setFilter] = useState('');
  function choose(id: number) {
    setSelected(id);
    const url = new URL(location.href);
    url.searchParams.set('region', String(id));
    history.replaceState(history.state, '', url);
  }
  return (
    <div class="admin-page" data-testid="admin-regions">
      <div class="page-head"><h1>区域与网格</h1></div>
      <LoadState loaded={caps}>{(c) => <LoadState loaded={regions}>{(list) => {
        const shown = filter ? list.filter((r) => r.name.includes(filter)) : list;
        const current = list.find((r) => r.id === selected) ?? null;
        const depth = (r: Region) => r.path.split('/').filter(Boolean).length - 1;
        return (
          <div class="admin-columns">
            <Section title="区域树">
              <input type="search" placeholder="按名称筛选" value={filter} aria-label="按名称筛选区域" data-testid="region-filter"
                onInput={(e) => setFilter(value(e))} />
              <ul class="admin-tree" data-testid="region-tree">{shown.map((r) => (
                <li key={r.id}><button type="button" aria-current={r.id === selected ? 'true' : undefined}
                  style={{ paddingLeft: `${0.5 + depth(r) * 1.1}rem` }} data-testid="region-item" data-name={r.name}
                  onClick={() => choose(r.id)}>{LEVEL_LABELS[r.level]} · {r.name}</button></li>))}</ul>
            </Section>
            <div>{current ? <RegionPanel key={current.id} region={current} regions={list} caps={c}
              onChanged={(id) => { regions.reload(); if (id) choose(id); }} />
              : <p class="muted">在区域树中选择一个区域。</p>}</div>
          </div>
        );
      }}</LoadState>}</LoadState>
    </div>
  );
}
