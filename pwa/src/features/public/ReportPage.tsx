/**
 * 我要举报: description, category, up to 3 photos (resized on the phone), an optional phone number
 * that is never shown publicly, and the place — the site from its QR code, or a map point / address.
 * On success the tracking code is shown big, with a copy button and a link to its progress page.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  categories, districtMap, errorMessage, PublicApiError, siteByToken, submitReport,
  type Category, type DistrictMap, type Receipt, type ReportFields,
} from './api';
import { plausibleMobile } from './format';
import { MapPicker, type Point } from './MapPicker';
import { MAX_PHOTOS, preparePhoto, type ReportPhoto } from './photos';

type FieldName = 'place' | 'category' | 'description' | 'photos' | 'phone' | 'address';
const SERVER_FIELDS: Record<string, FieldName> = {
  description: 'description', category: 'category', phone: 'phone', address: 'address', photos: 'photos',
  location: 'place', lat: 'place', lng: 'place', site_token: 'place',
};

export function ReportPage(props: { siteToken: string | null }) {
  const [siteToken, setSiteToken] = useState(props.siteToken);
  const [siteName, setSiteName] = useState<string | null>(null);
  const [cats, setCats] = useState<Category[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [map, setMap] = useState<DistrictMap | null>(null);
  const [mapError, setMapError] = useState<string | null>(null);

  const [category, setCategory] = useState('');
  const [description, setDescription] = useState('');
  const [photos, setPhotos] = useState<ReportPhoto[]>([]);
  const [photoBusy, setPhotoBusy] = useState(false);
  const [phone, setPhone] = useState('');
  const [smsConsent, setSmsConsent] = useState(false);
  const [website, setWebsite] = useState('');
  const [point, setPoint] = useState<Point | null>(null);
  const [address, setAddress] = useState('');

  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [receipt, setReceipt] = useState<Receipt | null>(null);

  useEffect(() => {
    document.title = '我要举报 · 安全隐患';
    categories().then(setCats).catch((e) => setLoadError(errorMessage(e)));
  }, []);

  useEffect(() => {
    if (!siteToken) return;
    siteByToken(siteToken).then((s) => setSiteName(s.name)).catch((e) => {
      if (e instanceof PublicApiError && e.status === 404) {
        setSiteToken(null);
        setFieldErrors((f) => ({ ...f, place: '二维码无效或已更换：请在地图上选择位置，或填写地址。' }));
      } else {
        setLoadError(errorMessage(e));
      }
    });
  }, [siteToken]);

  useEffect(() => {
    if (siteToken || map) return;
    districtMap().then(setMap).catch((e) => setMapError(errorMessage(e)));
  }, [siteToken, map]);

  // Release the thumbnails' object URLs when the page goes away.
  useEffect(() => () => photos.forEach((p) => URL.revokeObjectURL(p.url)), []);

  const addPhotos = async (input: HTMLInputElement) => {
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (!files.length) return;
    const room = MAX_PHOTOS - photos.length;
    setPhotoBusy(true);
    const added: ReportPhoto[] = [];
    let problem: string | null = files.length > room ? `最多上传 ${MAX_PHOTOS} 张照片，多选的已忽略。` : null;
    for (const file of files.slice(0, Math.max(0, room))) {
      try {
        added.push(await preparePhoto(file));
      } catch (e) {
        problem = (e as Error).message || '无法读取这张照片，请换一张。';
      }
    }
    setPhotos((list) => [...list, ...added].slice(0, MAX_PHOTOS));
    setFieldErrors((f) => ({ ...f, photos: problem ?? undefined }));
    setPhotoBusy(false);
  };

  const removePhoto = (index: number) => {
    setPhotos((list) => {
      URL.revokeObjectURL(list[index].url);
      return list.filter((_, i) => i !== index);
    });
  };

  const check = (): Partial<Record<FieldName, string>> => {
    const errors: Partial<Record<FieldName, string>> = {};
    if (!siteToken && !point && !address.trim()) errors.place = '请在地图上选择问题所在位置，或填写地址。';
    if (!category) errors.category = '请选择问题类别。';
    const text = description.trim();
    if (text.length < 5) errors.description = '请用至少 5 个字描述问题。';
    else if (text.length > 2000) errors.description = '描述最多 2000 字。';
    if (phone.trim() && !plausibleMobile(phone)) errors.phone = '手机号应为 11 位中国大陆手机号码；不想留可以不填。';
    if (address.trim().length > 300) errors.address = '地址最多 300 字。';
    return errors;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (submitting) return;
    const errors = check();
    setFieldErrors(errors);
    if (Object.keys(errors).length) {
      setError('请按提示修改后再提交。');
      return;
    }
    setSubmitting(true);
    setError(null);
    const fields: ReportFields = {
      description: description.trim(), category, phone: phone.trim(), website,
      sms_consent: smsConsent && Boolean(phone.trim()),
      ...(siteToken ? { site_token: siteToken } : { lat: point?.lat, lng: point?.lng, address: address.trim() }),
    };
    try {
      const answer = await submitReport(fields, photos.map((p) => p.blob));
      photos.forEach((p) => URL.revokeObjectURL(p.url));
      setPhotos([]);
      setReceipt(answer);
      window.scrollTo(0, 0);
    } catch (e) {
      if (e instanceof PublicApiError) {
        const mapped: Partial<Record<FieldName, string>> = {};
        for (const [field, message] of Object.entries(e.fields)) mapped[SERVER_FIELDS[field] ?? 'description'] = message;
        if (e.status === 404 && siteToken) mapped.place = e.message;
        setFieldErrors(mapped);
      }
      setError(errorMessage(e));
    } finally {
      setSubmitting(false);
    }
  };

  if (receipt) return <ReceiptView receipt={receipt} />;

  const fieldError = (name: FieldName) => fieldErrors[name]
    ? <p class="field-error" id={`err-${name}`} role="alert" data-testid={`error-${name}`}>{fieldErrors[name]}</p> : null;
  const describedBy = (name: FieldName) => (fieldErrors[name] ? `err-${name}` : undefined);

  return (
    <form class="pub-form" onSubmit={submit} noValidate data-testid="report-form">
      {loadError && <div class="banner error" role="alert">{loadError}</div>}

      <fieldset>
        <legend>问题在哪里</legend>
        {siteToken ? (
          <div class="card" data-testid="report-site">
            <b>{siteName ?? '正在读取场所…'}</b>
            <p class="muted">已根据场所二维码确定地点。</p>
            <button type="button" class="link" onClick={() => { setSiteToken(null); setSiteName(null); }}>
              不是这里？改为在地图上选点
            </button>
          </div>
        ) : (
          <div>
            {mapError && <p class="field-error" role="alert">地图加载失败：{mapError} 请填写地址。</p>}
            {map ? <MapPicker map={map} value={point} onChange={setPoint} />
              : !mapError && <p class="muted" aria-busy="true">正在加载地图…</p>}
            <label for="r-address">地址或位置说明{point ? '（选填）' : ''}</label>
            <input id="r-address" type="text" value={address} maxLength={300} autocomplete="street-address"
              placeholder="如：某某路 12 号东侧小巷" aria-describedby={describedBy('address') ?? describedBy('place')}
              onInput={(e) => setAddress((e.target as HTMLInputElement).value)} />
            {fieldError('address')}
          </div>
        )}
        {fieldError('place')}
      </fieldset>

      <fieldset>
        <legend>问题类别</legend>
        {cats ? (
          <div class="chips" role="group" aria-describedby={describedBy('category')} data-testid="categories">
            {cats.map((c) => (
              <button type="button" key={c.code} aria-pressed={category === c.code}
                onClick={() => setCategory(c.code)}>{c.label}</button>
            ))}
          </div>
        ) : !loadError && <p class="muted" aria-busy="true">正在加载…</p>}
        {fieldError('category')}
      </fieldset>

      <label for="r-description">问题描述</label>
      <textarea id="r-description" value={description} maxLength={2000} rows={4}
        placeholder="看到了什么、在哪个位置，如：后厨液化气罐放在灶台旁，没有固定。"
        aria-describedby={describedBy('description')}
        onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
      <p class="muted counter">{description.trim().length} / 2000</p>
      {fieldError('description')}

      <fieldset>
        <legend>照片（选填，最多 {MAX_PHOTOS} 张）</legend>
        {photos.length > 0 && (
          <div class="photos" data-testid="report-photos">
            {photos.map((p, i) => (
              <figure key={p.url}>
                <img src={p.url} alt={`照片 ${i + 1}`} />
                <button type="button" class="btn small danger" onClick={() => removePhoto(i)}
                  aria-label={`删除照片 ${i + 1}`}>删除</button>
              </figure>
            ))}
          </div>
        )}
        {photos.length < MAX_PHOTOS && (
          <label class="btn block camera" data-testid="add-photo">
            {photoBusy ? '正在处理照片…' : '拍照或选择照片'}
            <input type="file" accept="image/*" multiple disabled={photoBusy} aria-describedby={describedBy('photos')}
              data-testid="photo-input" onChange={(e) => void addPhotos(e.target as HTMLInputElement)} />
          </label>
        )}
        <p class="muted">照片会在手机上压缩，并去除拍摄位置等信息后再上传。</p>
        {fieldError('photos')}
      </fieldset>

      <label for="r-phone">联系电话（选填）</label>
      <input id="r-phone" type="tel" inputMode="tel" autocomplete="tel" value={phone} maxLength={20}
        placeholder="11 位手机号" aria-describedby={`phone-note${fieldErrors.phone ? ' err-phone' : ''}`}
        onInput={(e) => setPhone((e.target as HTMLInputElement).value)} />
      <p class="muted" id="phone-note" data-testid="phone-note">
        仅用于工作人员回访核实和发放举报奖励，<b>绝不公开</b>。不留电话也可以举报。
      </p>
      {fieldError('phone')}
      <label class="pub-consent">
        <input type="checkbox" checked={smsConsent} disabled={!phone.trim()} data-testid="sms-consent"
          onChange={(e) => setSmsConsent((e.target as HTMLInputElement).checked)} />
        同意用短信告知我办理结果（受理、不予立案及理由、整改销号），短信中附查询链接
      </label>

      {/* Honeypot: off screen, out of the tab order and hidden from screen readers; robots fill it in. */}
      <div class="hp" aria-hidden="true">
        <label for="r-website">网站</label>
        <input id="r-website" name="website" type="text" tabIndex={-1} autocomplete="off" value={website}
          onInput={(e) => setWebsite((e.target as HTMLInputElement).value)} />
      </div>

      {error && <div class="banner error" role="alert" data-testid="report-error">{error}</div>}
      <button type="submit" class="btn primary block pub-submit" disabled={submitting || photoBusy}
        data-testid="submit-report">{submitting ? '正在提交…' : '提交举报'}</button>
    </form>
  );
}

function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) return navigator.clipboard.writeText(text);
  // Older in-app browsers: a selected, off-screen textarea and the legacy copy command.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.left = '-9999px';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok ? Promise.resolve() : Promise.reject(new Error('copy failed'));
}

export function ReceiptView(props: { receipt: Receipt }) {
  const code = props.receipt.tracking_code;
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = () => copyText(code).then(() => setCopied(true), () => setCopied(false));
  return (
    <section class="receipt" data-testid="receipt" aria-labelledby="receipt-title">
      <h2 id="receipt-title">举报已提交，状态：<span data-testid="receipt-status">{props.receipt.status_label}</span></h2>
      <p>您的查询码（凭它查询办理进度，请截图或抄下保存）：</p>
      <p class="tracking-code" data-testid="tracking-code">{code}</p>
      <button type="button" class="btn block" onClick={copy} data-testid="copy-code">复制查询码</button>
      {copied === true && <p class="ok" role="status">已复制。</p>}
      {copied === false && <p class="field-error" role="status">无法自动复制，请长按查询码手动复制或截图。</p>}
      <a class="btn primary block" href={`/r/${encodeURIComponent(code)}`} data-testid="track-link">查看办理进度</a>
      <p class="muted">工作人员会尽快核实处理。查询码是查看进度的唯一凭证；您的电话不会公开。</p>
      <a href="/report" target="_self">再举报一处</a>
    </section>
  );
}
