/** 随手拍: a quick hazard without a checklist — photos, a description, the site, domain and level. */
import { useEffect, useState } from 'preact/hooks';
import { loadTaxonomy } from '../../api/data';
import type { Site } from '../../api/types';
import { refreshOutbox, syncLoop } from '../../app-state';
import type { Position } from '../../db/types';
import { enqueue } from '../../outbox/outbox';
import { navigate } from '../../router';
import { Banner, BlobImage } from '../../ui/components';
import { isoWithOffset } from '../inspection/form';
import { pickPhoto } from '../inspection/photos';
import { cachedSites } from '../sites/data';

const FALLBACK_DOMAINS = [
  { code: 'fire', label: '消防安全' }, { code: 'nine_small', label: '九小场所' },
  { code: 'construction', label: '建设施工' }, { code: 'hazchem', label: '危化' },
  { code: 'special_equipment', label: '特种设备' }, { code: 'industry_trade', label: '工贸' },
  { code: 'urban_operation', label: '城市运行' }, { code: 'road_traffic', label: '道路交通' },
  { code: 'commerce_tourism', label: '商贸旅游' },
];

export function SnapPage(props: { siteId: number | null }) {
  const [sites, setSites] = useState<Site[]>([]);
  const [domains, setDomains] = useState(FALLBACK_DOMAINS);
  const [siteId, setSiteId] = useState<number | null>(props.siteId);
  const [description, setDescription] = useState('');
  const [domain, setDomain] = useState('fire');
  const [level, setLevel] = useState<'一般' | '重大'>('一般');
  const [photos, setPhotos] = useState<{ id: string; blob: Blob }[]>([]);
  const [position, setPosition] = useState<Position | null>(null);
  const [foundAt] = useState(() => isoWithOffset(new Date()));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void cachedSites().then((e) => setSites(e?.data ?? []));
    void loadTaxonomy().then((t) => t?.domains?.length && setDomains(t.domains));
  }, []);

  function picked(event: Event) {
    return pickPhoto(event, (p) => {
      setPhotos((list) => [...list, { id: p.id, blob: p.blob }]);
      if (p.position) setPosition(p.position);
    }, setBusy, setError);
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (!siteId) return setError('请选择场所。');
    if (!description.trim()) return setError('请填写隐患描述。');
    if (photos.length === 0) return setError('随手拍至少需要一张照片。');
    const id = crypto.randomUUID();
    const site = sites.find((s) => s.id === siteId);
    await enqueue({
      id, kind: 'hazard', label: `${site?.name ?? `场所 ${siteId}`} · ${description.trim().slice(0, 20)}`, siteId,
      photoIds: photos.map((p) => p.id),
      payload: {
        client_uuid: id, site_id: siteId, description: description.trim(), domain, level,
        photo_ids: photos.map((p) => p.id), position, found_at: foundAt,
      },
    });
    refreshOutbox();
    void syncLoop.request();
    navigate('/outbox', { replace: true });
  }

  return (
    <form onSubmit={(e) => void submit(e)}>
      <div class="photos">{photos.map((p) => <figure key={p.id}><BlobImage blob={p.blob} alt="隐患照片" /></figure>)}</div>
      <label class="btn block camera">{busy ? '正在处理照片…' : '拍照或选择图片'}
        <input type="file" accept="image/*" onChange={picked} disabled={busy} />
      </label>
      <p class="muted">{position ? `定位：±${position.accuracy_m} 米` : '拍照时记录定位'}</p>
      <label for="snap-site">场所</label>
      <select id="snap-site" value={siteId ?? ''} onChange={(e) => setSiteId(Number((e.target as HTMLSelectElement).value) || null)}>
        <option value="">请选择</option>
        {sites.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
      </select>
      <label for="snap-desc">隐患描述</label>
      <textarea id="snap-desc" value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
      <label for="snap-domain">领域</label>
      <select id="snap-domain" value={domain} onChange={(e) => setDomain((e.target as HTMLSelectElement).value)}>
        {domains.map((d) => <option key={d.code} value={d.code}>{d.label}</option>)}
      </select>
      <label>等级</label>
      <div class="seg" style="grid-template-columns:1fr 1fr">
        {(['一般', '重大'] as const).map((l) => (
          <button key={l} type="button" class={l === '一般' ? 'r-na' : 'r-bad'} aria-pressed={level === l}
            onClick={() => setLevel(l)}>{l}隐患</button>
        ))}
      </div>
      {error && <Banner kind="error">{error}</Banner>}
      <button class="btn primary block" type="submit">提交（无网络时自动排队发送）</button>
    </form>
  );
}
