/**
 * 企业注册 (public, no login): an enterprise claims its registered site with its 统一社会信用代码 and the contact
 * phone on record (SMS code), or — when none matches — applies with its 营业执照 photo. A street supervisor then
 * approves; the account arrives by SMS and the password is set at first login. No IndexedDB, no service worker.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, errorMessage, PublicApiError } from './api';

interface Street { id: number; name: string }
interface CodeSent { sent: boolean; site_name: string | null; expires_in: number }
interface Receipt { id: number; kind: string; status: string; name: string }

const json = (body: unknown): Blob => new Blob([JSON.stringify(body)], { type: 'application/json' });

function message(error: unknown): string {
  // The server's own sentence (e.g. how long to wait) fits here better than the report page's wording.
  return error instanceof PublicApiError ? error.message : errorMessage(error);
}

function fieldError(error: unknown, field: string): string | null {
  return error instanceof PublicApiError ? error.fields[field] ?? null : null;
}

function masked(mobile: string): string {
  return mobile.length === 11 ? `${mobile.slice(0, 3)}****${mobile.slice(7)}` : mobile;
}

/** 获取验证码 with a countdown, so a second tap does not run into the per-phone limit. */
function CodeButton(props: { disabled: boolean; onSend: () => Promise<boolean> }) {
  const [left, setLeft] = useState(0);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (left <= 0) return undefined;
    const timer = setTimeout(() => setLeft((n) => n - 1), 1000);
    return () => clearTimeout(timer);
  }, [left]);
  return (
    <button type="button" class="btn" data-testid="send-code" disabled={props.disabled || busy || left > 0}
      onClick={async () => {
        setBusy(true);
        if (await props.onSend()) setLeft(60);
        setBusy(false);
      }}>{left > 0 ? `${left} 秒后可重新获取` : busy ? '正在发送…' : '获取短信验证码'}</button>
  );
}

function Done(props: { receipt: Receipt }) {
  return (
    <div class="card" data-testid="registration-done">
      <h2>已提交，等待街道审核</h2>
      <p>「{props.receipt.name}」的{props.receipt.kind === 'claim' ? '认领' : '注册'}申请已收到。审核通过后，登录账号和初始密码将以短信发送到您的手机；首次登录需设置新密码。</p>
      <p><a href="/login" target="_self">已收到短信？去登录</a></p>
    </div>
  );
}

function ApplyForm(props: { creditCode: string; mobile: string; onDone: (r: Receipt) => void }) {
  const [streets, setStreets] = useState<Street[]>([]);
  const [name, setName] = useState('');
  const [creditCode, setCreditCode] = useState(props.creditCode);
  const [address, setAddress] = useState('');
  const [streetId, setStreetId] = useState('');
  const [contactName, setContactName] = useState('');
  const [mobile, setMobile] = useState(props.mobile);
  const [code, setCode] = useState('');
  const [photo, setPhoto] = useState<File | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    call<Street[]>('GET', '/enterprise-registration/streets').then(setStreets).catch(setError);
  }, []);

  async function send(): Promise<boolean> {
    setError(null);
    try {
      await call<CodeSent>('POST', '/enterprise-registration/codes', json({ purpose: 'apply', mobile: mobile.trim() }));
      setNotice(`验证码已发送到 ${masked(mobile.trim())}，10 分钟内有效。`);
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (!photo) return setError(new PublicApiError(422, { detail: '请上传营业执照照片。' }));
    const form = new FormData();
    for (const [k, v] of Object.entries({ name, credit_code: creditCode, address, street_id: streetId,
      contact_name: contactName, mobile, code })) {
      if (v.trim()) form.append(k, v.trim());
    }
    form.append('licence_photo', photo);
    setBusy(true);
    setError(null);
    try {
      props.onDone(await call<Receipt>('POST', '/enterprise-registration/applications', form, 120_000));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} data-testid="apply-form">
      <h2>上传营业执照申请注册</h2>
      <label for="ap-name">企业（场所）名称</label>
      <input id="ap-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      <label for="ap-code">统一社会信用代码</label>
      <input id="ap-code" value={creditCode} maxLength={18} onInput={(e) => setCreditCode((e.target as HTMLInputElement).value)} />
      {fieldError(error, 'credit_code') && <p class="field-error">{fieldError(error, 'credit_code')}</p>}
      <label for="ap-address">经营地址</label>
      <input id="ap-address" value={address} onInput={(e) => setAddress((e.target as HTMLInputElement).value)} />
      <label for="ap-street">所在街道（乡镇）</label>
      <select id="ap-street" value={streetId} onChange={(e) => setStreetId((e.target as HTMLSelectElement).value)}>
        <option value="">请选择</option>
        {streets.map((s) => <option key={s.id} value={String(s.id)}>{s.name}</option>)}
      </select>
      <label for="ap-contact">联系人</label>
      <input id="ap-contact" value={contactName} onInput={(e) => setContactName((e.target as HTMLInputElement).value)} />
      <label for="ap-mobile">手机号（即登录账号）</label>
      <input id="ap-mobile" type="tel" value={mobile} onInput={(e) => setMobile((e.target as HTMLInputElement).value)} />
      <CodeButton disabled={mobile.trim().length < 11} onSend={send} />
      {notice && <p class="muted">{notice}</p>}
      <label for="ap-sms">短信验证码</label>
      <input id="ap-sms" inputMode="numeric" value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} />
      <label for="ap-photo">营业执照照片</label>
      <input id="ap-photo" type="file" accept="image/*" onChange={(e) => setPhoto((e.target as HTMLInputElement).files?.[0] ?? null)} />
      {Boolean(error) && <p class="field-error" role="alert">{message(error)}</p>}
      <button class="btn primary block" type="submit" disabled={busy}>{busy ? '正在提交…' : '提交申请'}</button>
    </form>
  );
}

export function EnterpriseRegisterPage() {
  const [creditCode, setCreditCode] = useState('');
  const [mobile, setMobile] = useState('');
  const [sent, setSent] = useState<CodeSent | null>(null);
  const [code, setCode] = useState('');
  const [contactName, setContactName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [noMatch, setNoMatch] = useState(false);
  const [applying, setApplying] = useState(false);
  const [busy, setBusy] = useState(false);
  const [receipt, setReceipt] = useState<Receipt | null>(null);

  if (receipt) return <Done receipt={receipt} />;
  if (applying) return <ApplyForm creditCode={creditCode} mobile={mobile} onDone={setReceipt} />;

  async function send(): Promise<boolean> {
    setError(null);
    setNoMatch(false);
    try {
      setSent(await call<CodeSent>('POST', '/enterprise-registration/codes',
        json({ purpose: 'claim', credit_code: creditCode.trim(), mobile: mobile.trim() })));
      return true;
    } catch (e) {
      if (e instanceof PublicApiError && e.code === 'no_matching_site') setNoMatch(true);
      setError(e);
      return false;
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setReceipt(await call<Receipt>('POST', '/enterprise-registration/claims', json({
        credit_code: creditCode.trim(), mobile: mobile.trim(), code: code.trim(), contact_name: contactName.trim() })));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} data-testid="claim-form">
      <p>已在监管部门登记的企业，用统一社会信用代码和登记的联系电话认领本单位，审核通过后即可登录查看隐患、上报整改。</p>
      <label for="cl-code">统一社会信用代码</label>
      <input id="cl-code" value={creditCode} maxLength={18} onInput={(e) => setCreditCode((e.target as HTMLInputElement).value)} />
      {fieldError(error, 'credit_code') && <p class="field-error">{fieldError(error, 'credit_code')}</p>}
      <label for="cl-mobile">登记的联系电话</label>
      <input id="cl-mobile" type="tel" value={mobile} onInput={(e) => setMobile((e.target as HTMLInputElement).value)} />
      <CodeButton disabled={!creditCode.trim() || mobile.trim().length < 11} onSend={send} />
      {sent && <p class="muted" data-testid="code-sent">验证码已发送到 {masked(mobile.trim())}（{sent.site_name}），10 分钟内有效。</p>}
      {noMatch && (
        <div class="card" data-testid="no-match">
          <p>{message(error)}</p>
          <button type="button" class="btn" onClick={() => setApplying(true)}>上传营业执照申请注册</button>
        </div>
      )}
      {sent && (
        <>
          <label for="cl-sms">短信验证码</label>
          <input id="cl-sms" inputMode="numeric" value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} />
          <label for="cl-contact">您的姓名</label>
          <input id="cl-contact" value={contactName} onInput={(e) => setContactName((e.target as HTMLInputElement).value)} />
          <button class="btn primary block" type="submit" disabled={busy || !code.trim() || !contactName.trim()}
            data-testid="claim-submit">{busy ? '正在提交…' : '提交认领'}</button>
        </>
      )}
      {Boolean(error) && !noMatch && <p class="field-error" role="alert">{message(error)}</p>}
      {!sent && !noMatch && <p class="muted">登记册里没有本单位？<button type="button" class="link" onClick={() => setApplying(true)}>上传营业执照申请注册</button></p>}
    </form>
  );
}
