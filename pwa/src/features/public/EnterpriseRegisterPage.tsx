/**
 * 企业注册 (public, no login): an enterprise claims its registered site with its 统一社会信用代码 and the contact
 * phone on record (SMS code), or — when none matches — applies with its 营业执照 photo. A street supervisor then
 * approves; the account arrives by SMS and the password is set at first login. No IndexedDB, no service worker.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, errorMessage, PublicApiError } from './api';
import { localTime } from './format';

interface Street { id: number; name: string }
interface CodeSent { sent: boolean; site_name: string | null; expires_in: number }
/** The answer to a submission; `receipt` (回执) opens the application's page /enterprise-register/<receipt>. */
interface Receipt { id: number; kind: string; status: string; name: string; receipt: string }
/** What the applicant reads with the 回执: the decision and, for 不予通过, the reason. */
interface Status extends Receipt {
  status_label: string; credit_code: string | null; address: string | null; category: string | null;
  region_id: number; region_name: string; contact_name: string; mobile: string; refusal_reason: string | null;
  has_licence_photo: boolean; created_at: string; decided_at: string | null;
}

/** The page of an application, where its decision is read (keep it: it is the only way back without an account). */
export function receiptPath(receipt: string): string {
  return `/enterprise-register/${receipt}`;
}

const LAST_RECEIPT = 'hazardloop.enterprise-receipt';

function remember(receipt: string): void {
  try {
    localStorage.setItem(LAST_RECEIPT, receipt);
  } catch {
    // Private browsing without storage: the link on the page still works.
  }
}

function remembered(): string | null {
  try {
    return localStorage.getItem(LAST_RECEIPT);
  } catch {
    return null;
  }
}

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
  useEffect(() => remember(props.receipt.receipt), [props.receipt.receipt]);
  return (
    <div class="card" data-testid="registration-done">
      <h2>已提交，等待街道审核</h2>
      <p>「{props.receipt.name}」的{props.receipt.kind === 'claim' ? '认领' : '注册'}申请已收到。审核通过后，登录账号和初始密码将以短信发送到您的手机；首次登录需设置新密码。</p>
      <p>未通过时，短信会告知理由；也可随时在本机打开下面的链接查看审核结果（请收藏该页面）。</p>
      <p><a href={receiptPath(props.receipt.receipt)} data-testid="application-status-link">查看审核进度</a></p>
      <p><a href="/login" target="_self">已收到短信？去登录</a></p>
    </div>
  );
}

/** 审核进度 by the 回执: waiting, approved (log in), or refused with the reason and 修改后重新申请. */
export function ApplicationStatusPage(props: { receipt: string }) {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [again, setAgain] = useState(false);
  const [next, setNext] = useState<Receipt | null>(null);
  useEffect(() => {
    call<Status>('GET', `/enterprise-registration/applications/${encodeURIComponent(props.receipt)}`)
      .then(setStatus).catch(setError);
  }, [props.receipt]);

  if (next) return <Done receipt={next} />;
  if (error) return <p class="field-error" role="alert">{message(error)}</p>;
  if (!status) return <p class="muted">正在查询…</p>;
  if (again) {
    return <ApplyForm creditCode={status.credit_code ?? ''} mobile="" previous={{ receipt: props.receipt, status }}
      onDone={setNext} />;
  }
  return (
    <div class="card" data-testid="application-status">
      <h2>{status.name}</h2>
      <p>审核状态：<b data-testid="application-status-label">{status.status_label}</b></p>
      <p class="muted">{status.kind === 'claim' ? '认领已登记场所' : '注册申请'} · {status.region_name} · 联系人 {status.contact_name}（{status.mobile}）
        · 提交于 {localTime(status.created_at)}{status.decided_at ? ` · 审核于 ${localTime(status.decided_at)}` : ''}</p>
      {status.status === 'pending' && <p>街道正在审核，审核结果将以短信通知您，也可稍后再打开本页查看。</p>}
      {status.status === 'approved' && (
        <>
          <p>审核已通过：登录账号和初始密码已通过短信发送到 {status.mobile}，首次登录需设置新密码。</p>
          <p><a class="btn primary block" href="/login" target="_self">去登录</a></p>
        </>
      )}
      {status.status === 'refused' && (
        <>
          <div class="banner error" role="status" data-testid="refusal-reason">不予通过的理由：{status.refusal_reason}</div>
          <p>请按理由修改后重新申请（无需再次获取验证码）。</p>
          <button type="button" class="btn primary block" data-testid="reapply" onClick={() => setAgain(true)}>修改后重新申请</button>
        </>
      )}
    </div>
  );
}

/**
 * 上传营业执照申请注册, or — with `previous` — 重新申请 after 不予通过: the refused application's details to correct,
 * its verified phone kept (no new code), a new licence photo optional.
 */
function ApplyForm(props: { creditCode: string; mobile: string; onDone: (r: Receipt) => void;
  previous?: { receipt: string; status: Status } }) {
  const before = props.previous?.status;
  const [streets, setStreets] = useState<Street[]>([]);
  const [name, setName] = useState(before?.name ?? '');
  const [creditCode, setCreditCode] = useState(props.creditCode);
  const [address, setAddress] = useState(before?.address ?? '');
  // A claim was reviewed by its site's grid, not a street: the street is chosen again.
  const [streetId, setStreetId] = useState(before?.kind === 'apply' ? String(before.region_id) : '');
  const [contactName, setContactName] = useState(before?.contact_name ?? '');
  const [mobile, setMobile] = useState(props.mobile);
  const [code, setCode] = useState('');
  const [photo, setPhoto] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  useEffect(() => {
    if (!photo) return undefined;
    const url = URL.createObjectURL(photo);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [photo]);
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
    if (!photo && !before?.has_licence_photo) return setError(new PublicApiError(422, { detail: '请上传营业执照照片。' }));
    const form = new FormData();
    const fields = { name, credit_code: creditCode, address, street_id: streetId, contact_name: contactName,
      ...(before ? {} : { mobile, code }) };
    for (const [k, v] of Object.entries(fields)) {
      if (v.trim()) form.append(k, v.trim());
    }
    if (photo) form.append('licence_photo', photo);
    const path = props.previous
      ? `/enterprise-registration/applications/${encodeURIComponent(props.previous.receipt)}/reapply`
      : '/enterprise-registration/applications';
    setBusy(true);
    setError(null);
    try {
      props.onDone(await call<Receipt>('POST', path, form, 120_000));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} data-testid="apply-form">
      <h2>{before ? '修改后重新申请' : '上传营业执照申请注册'}</h2>
      {before?.refusal_reason && <div class="banner error">上次未通过的理由：{before.refusal_reason}</div>}
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
      {before ? <p class="muted">手机号（即登录账号）：{before.mobile}（已验证）</p> : <>
        <label for="ap-mobile">手机号（即登录账号）</label>
        <input id="ap-mobile" type="tel" value={mobile} onInput={(e) => setMobile((e.target as HTMLInputElement).value)} />
        <CodeButton disabled={mobile.trim().length < 11} onSend={send} />
        {notice && <p class="muted">{notice}</p>}
        <label for="ap-sms">短信验证码</label>
        <input id="ap-sms" inputMode="numeric" value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} />
      </>}
      <p class="muted">营业执照照片{before?.has_licence_photo ? '（不重新上传则沿用上次的照片）' : '（拍清楚统一社会信用代码）'}</p>
      {/* The browser's own file button would speak its own language: a button of ours carries the input. */}
      <label class="btn block camera">{photo ? '重新选择营业执照照片' : '拍摄或选择营业执照照片'}
        <input id="ap-photo" type="file" accept="image/*" onChange={(e) => setPhoto((e.target as HTMLInputElement).files?.[0] ?? null)} />
      </label>
      {preview && <img class="licence-preview" src={preview} alt="已选择的营业执照照片" data-testid="licence-preview" />}
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
  const last = remembered();

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
      {last && <p class="muted">已提交过申请？<a href={receiptPath(last)} data-testid="last-application-link">查看审核进度</a></p>}
    </form>
  );
}
