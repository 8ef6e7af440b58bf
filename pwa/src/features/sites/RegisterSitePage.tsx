/**
 * 现场新增场所: a 网格员 registers a site that is not in the register, offline too — name, category, address, the
 * phone's position, photos and an optional 统一社会信用代码. Possible duplicates (cached sites, and the server's
 * answer when reachable) are shown first so he can pick the existing one. The site goes out through the outbox
 * and is usable at once for an inspection.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { loadTaxonomy } from '../../api/data';
import { apiPath, request } from '../../api/http';
import type { Site } from '../../api/types';
import { refreshOutbox, sessionStore, syncLoop } from '../../app-state';
import type { Position } from '../../db/types';
import { enqueue } from '../../outbox/outbox';
import { navigate } from '../../router';
import { useStore } from '../../store';
import { Banner, BlobImage } from '../../ui/components';
import { currentPosition, pickPhoto } from '../inspection/photos';
import { cachedSites } from './data';
import { checkCreditCode, mergeSuggestions, possibleDuplicates, type Suggestion } from './field';

interface GridChoice { id: number; name: string }

function myGrids(grants: unknown[] | undefined): GridChoice[] {
  return ((grants ?? []) as { role?: string; region_id?: number | null; region_name?: string | null }[])
    .filter((g) => g.role === 'grid_worker' && g.region_id)
    .map((g) => ({ id: g.region_id!, name: g.region_name ?? `网格 ${g.region_id}` }));
}

export function RegisterSitePage() {
  const session = useStore(sessionStore);
  const grids = myGrids(session?.user.grants);
  const [name, setName] = useState('');
  const [category, setCategory] = useState('');
  const [categories, setCategories] = useState<{ code: string; label: string }[]>([]);
  const [address, setAddress] = useState('');
  const [gridId, setGridId] = useState<number | null>(grids[0]?.id ?? null);
  const [creditCode, setCreditCode] = useState('');
  const [codeConfirmed, setCodeConfirmed] = useState(false);
  const [contactName, setContactName] = useState('');
  const [contactMobile, setContactMobile] = useState('');
  const [position, setPosition] = useState<Position | null>(null);
  const [locating, setLocating] = useState(false);
  const [photos, setPhotos] = useState<{ id: string; blob: Blob }[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sites, setSites] = useState<Site[]>([]);
  const [server, setServer] = useState<Suggestion[] | null>(null);
  const [notDuplicate, setNotDuplicate] = useState(false);

  useEffect(() => {
    void cachedSites().then((e) => setSites(e?.data ?? []));
    void loadTaxonomy().then((t) => t?.site_categories?.length && setCategories(t.site_categories));
    void locate();
  }, []);

  async function locate() {
    setLocating(true);
    setPosition((await currentPosition()) ?? null);
    setLocating(false);
  }

  // The server knows sites this phone has not cached (other grids' neighbours, new ones): asked when reachable.
  useEffect(() => {
    setServer(null);
    if (!name.trim() && !position) return;
    const timer = setTimeout(() => {
      const query = new URLSearchParams({ name: name.trim() });
      if (position) {
        query.set('lat', String(position.lat));
        query.set('lng', String(position.lng));
      }
      request<Suggestion[]>('GET', apiPath(`/sites/nearby?${query}`), { timeoutMs: 5000 })
        .then((res) => setServer(res.data ?? []))
        .catch(() => setServer(null));
    }, 400);
    return () => clearTimeout(timer);
  }, [name, position?.lat, position?.lng]);

  const suggestions = useMemo(
    () => mergeSuggestions(server, possibleDuplicates(sites, name, position)), [server, sites, name, position]);
  useEffect(() => setNotDuplicate(false), [suggestions.length]);

  function picked(event: Event) {
    return pickPhoto(event, (p) => {
      setPhotos((list) => [...list, { id: p.id, blob: p.blob }]);
      if (p.position && !position) setPosition(p.position);
    }, setBusy, setError);
  }

  const code = checkCreditCode(creditCode);

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    if (!name.trim()) return setError('请填写场所名称。');
    if (!category) return setError('请选择场所类别。');
    if (!address.trim()) return setError('请填写场所地址。');
    if (!gridId) return setError('您没有网格，不能登记场所。');
    if (!code.ok && !(code.checkFailed && codeConfirmed)) return setError(code.message);
    if (suggestions.length > 0 && !notDuplicate) return setError('请先确认不是上面列出的已登记场所。');
    const id = crypto.randomUUID();
    const payload: Record<string, unknown> = {
      client_uuid: id, name: name.trim(), category, address: address.trim(), grid_id: gridId,
      photo_ids: photos.map((p) => p.id),
      ...(position ? { lat: position.lat, lng: position.lng } : {}),
      ...(creditCode.trim() ? { credit_code: creditCode.trim().toUpperCase(), credit_code_confirmed: !code.ok } : {}),
      ...(contactName.trim() ? { contact_name: contactName.trim() } : {}),
      ...(contactMobile.trim() ? { contact_mobile: contactMobile.trim() } : {}),
    };
    setBusy(true);
    try {
      await enqueue({ id, kind: 'site', label: `新增场所 ${name.trim()}`, siteId: null, payload,
        photoIds: photos.map((p) => p.id) });
      refreshOutbox();
      void syncLoop.request();
      navigate(`/field-sites/${id}`, { replace: true });
    } catch (e) {
      setError(`保存失败：${(e as Error).message}`);
      setBusy(false);
    }
  }

  if (grids.length === 0) return <Banner kind="error">只有网格员可以在现场新增场所。</Banner>;
  return (
    <form onSubmit={(e) => void submit(e)} data-testid="register-site">
      <p class="muted">登记册里没有的场所（如新开的九小场所）在这里登记；无网络时先保存在本机，联网后自动发送，街道审核后正式入册。</p>
      <label for="ns-name">场所名称</label>
      <input id="ns-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      <section data-testid="duplicates" aria-live="polite">
        {suggestions.length > 0 && (
          <div class="card">
            <b>附近可能是同一场所（{server === null ? '本机数据' : '含服务器数据'}）</b>
            <ul class="list">
              {suggestions.map((s) => (
                <li key={s.site.id}>
                  <a href={`/sites/${s.site.id}`} data-testid="duplicate-pick">{s.site.name}
                    <br /><small>{s.site.address} · {s.reason}</small></a>
                </li>
              ))}
            </ul>
            <p class="muted">是其中一家？点它直接去检查。</p>
            <label class="check"><input type="checkbox" checked={notDuplicate} data-testid="not-duplicate"
              onChange={(e) => setNotDuplicate((e.target as HTMLInputElement).checked)} /> 都不是，登记为新场所</label>
          </div>
        )}
      </section>
      <label for="ns-category">场所类别</label>
      <select id="ns-category" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
        <option value="">请选择</option>
        {categories.map((c) => <option key={c.code} value={c.code}>{c.label}</option>)}
      </select>
      <label for="ns-address">地址</label>
      <input id="ns-address" value={address} onInput={(e) => setAddress((e.target as HTMLInputElement).value)} />
      {grids.length > 1 ? (
        <>
          <label for="ns-grid">所属网格</label>
          <select id="ns-grid" value={gridId ?? ''} onChange={(e) => setGridId(Number((e.target as HTMLSelectElement).value))}>
            {grids.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
          </select>
        </>
      ) : <p class="muted">所属网格：{grids[0].name}</p>}
      <p data-testid="ns-position">{locating ? '正在定位…' : position
        ? `当前位置已记录（精度约 ${position.accuracy_m} 米）` : '未能定位：可稍后重试，或只凭名称查重。'}
        {' '}<button type="button" class="btn small" onClick={() => void locate()} disabled={locating}>重新定位</button></p>
      <div class="photos">{photos.map((p) => <figure key={p.id}><BlobImage blob={p.blob} alt="场所照片" /></figure>)}</div>
      <label class="btn block camera">{busy ? '正在处理照片…' : '拍摄门头照片'}
        <input type="file" accept="image/*" onChange={picked} disabled={busy} data-testid="ns-photo" />
      </label>
      <label for="ns-code">统一社会信用代码（选填）</label>
      <input id="ns-code" value={creditCode} maxLength={18} autocapitalize="characters"
        onInput={(e) => setCreditCode((e.target as HTMLInputElement).value)} />
      {!code.ok && <p class="field-error" data-testid="ns-code-error">{code.message}</p>}
      {!code.ok && code.checkFailed && (
        <label class="check"><input type="checkbox" checked={codeConfirmed}
          onChange={(e) => setCodeConfirmed((e.target as HTMLInputElement).checked)} /> 已核对，代码与营业执照一致（早期试点代码）</label>
      )}
      <label for="ns-contact">联系人（选填）</label>
      <input id="ns-contact" value={contactName} onInput={(e) => setContactName((e.target as HTMLInputElement).value)} />
      <label for="ns-mobile">联系电话（选填）</label>
      <input id="ns-mobile" type="tel" value={contactMobile} onInput={(e) => setContactMobile((e.target as HTMLInputElement).value)} />
      {error && <Banner kind="error">{error}</Banner>}
      <button class="btn primary block" type="submit" disabled={busy} data-testid="ns-submit">登记新场所（无网络时自动排队发送）</button>
    </form>
  );
}
