/**
 * 隐患详情: status and deadline, before/after photos side by side, 治理方案 / 延期 / 挂牌督办, the 三标 references,
 * the documents (PDF), the timeline, and the steps the server offers me now — each a form queued in the outbox (so
 * field steps work offline); 曝光台 publication is online, after a preview of what the public will see.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { HttpError, apiPath } from '../../api/http';
import type { HazardDetail, HazardItemReference } from '../../api/types';
import { hazardsChanged, outboxStore, sessionStore } from '../../app-state';
import { getPhoto } from '../../db/photos';
import { useStore } from '../../store';
import { Banner, BlobImage, ago, formatTime } from '../../ui/components';
import { currentPosition, pickPhoto } from '../inspection/photos';
import type { Position } from '../../db/types';
import { STATE_LABELS } from '../outbox/OutboxPage';
import { acceptedText } from '../outbox/messages';
import { Deadline } from './HazardListPage';
import { inspectionPath } from '../inspection/record-path';
import { HazardCard } from '../public/HazardCard';
import { SpotCheckNote } from '../selfcheck/SpotCheckNote';
import './hazards.css';
import {
  cachedHazard, enqueueStep, loadPublicationPreview, refreshHazard, setPublication, type PublicationPreview,
} from './data';
import {
  ACTIONS, DOCUMENT_LABELS, appRole, GOVERNANCE_PLAN_PARTS, LEVEL_LABELS, STATUS_LABELS, VISIT_ACTIONS, documentPdfPath,
  fieldProblems, initialValues, localDate, offeredActions, pendingSteps, photoFlags, photoPairs, previewPhoto,
  visitLine, visitPreview, type ActionSpec, type FormValues,
} from './logic';

/**
 * A photo: this phone's copy when it has one (taken here, maybe not yet sent), else the server's thumbnail;
 * a tap shows the watermarked evidence copy (kept offline by the service worker for hazards awaiting 复查).
 */
export function HazardPhoto(props: { id: string | null; alt: string }) {
  const [blob, setBlob] = useState<Blob | null | undefined>(undefined);
  const [failed, setFailed] = useState(false);
  const [large, setLarge] = useState(false);
  useEffect(() => {
    if (!props.id) return;
    void getPhoto(props.id).then((p) => setBlob(p?.blob ?? null));
  }, [props.id]);
  if (!props.id) return <span class="muted">无</span>;
  if (blob) return <BlobImage blob={blob} alt={props.alt} />;
  if (blob === undefined) return <span class="muted">照片</span>;
  // Offline, or not (yet) visible to me: say so instead of a broken image.
  if (failed) return <span class="muted photo-missing">照片暂不可见（需联网或无权查看）</span>;
  return (
    <img src={apiPath(`/photos/${props.id}/${large ? 'evidence' : 'thumbnail'}`)} alt={props.alt}
      title={large ? '点按缩小' : '点按查看大图'} data-size={large ? 'evidence' : 'thumbnail'}
      onClick={() => setLarge(!large)} onError={() => (large ? setLarge(false) : setFailed(true))} />
  );
}

function References(props: { item: HazardItemReference }) {
  const { item } = props;
  const violated = item.enforcement?.violated ?? [];
  const penalty = item.enforcement?.penalty;
  return (
    <div class="card" data-testid="references">
      <div class="item-code">{item.code}</div>
      <div>{item.text}</div>
      {item.basis_verified === false && <div class="banner" data-testid="basis-unverified">法律依据待核实</div>}
      {item.standard && <p><b>标准：</b>{item.standard.document} {item.standard.clause}
        {item.standard.text && <><br /><small>{item.standard.text}</small></>}</p>}
      {item.hazard?.description && <p><b>隐患判定：</b>{item.hazard.description}
        {item.hazard.level ? `（${item.hazard.level}隐患）` : ''}</p>}
      {(violated.length > 0 || penalty) && <p><b>执法依据：</b>
        {violated.map((v) => `《${v.law}》${v.article}`).join('；')}
        {penalty && <><br /><small>处罚：《{penalty.law}》{penalty.article}{penalty.range ? `，${penalty.range}` : ''}</small></>}
      </p>}
    </div>
  );
}

/** The after-photos' doubts (taken before the order, the same as a finding photo, evidence of another hazard). */
function PhotoFlags(props: { hazard: HazardDetail }) {
  const flags = photoFlags(props.hazard.presence);
  if (!flags.length) return null;
  return (
    <div class="card photo-flags" data-testid="photo-flags" role="note">
      <b>{props.hazard.status === 'awaiting_verification' ? '整改后照片存疑，请在复查时核实：' : '整改后照片存疑：'}</b>
      <ul>{flags.map((f) => <li key={`${f.photoId}-${f.code}`} data-testid="photo-flag" data-code={f.code}>{f.message}</li>)}</ul>
    </div>
  );
}

/** 复查: where the verifier stands now, against the site (the server records the same with the step). */
function VisitPresence(props: { hazard: HazardDetail; position: Position | null | undefined }) {
  if (props.position === undefined) {
    return <p class="muted" data-testid="visit-presence" data-state="locating">正在获取您的位置（复查位置将记入复查记录）…</p>;
  }
  const preview = visitPreview(props.hazard.presence, props.position);
  return (
    <p class={`visit-presence${preview.far ? ' far' : ''}`} data-testid="visit-presence"
      data-state={preview.far ? 'far' : preview.distance == null ? 'unknown' : 'near'}
      role={preview.far ? 'alert' : undefined}>{preview.text}</p>
  );
}

/** What the official decides on, inside the form: the extension asked for, the plan submitted, the deadline rule. */
function ActionContext(props: { hazard: HazardDetail; action: string }) {
  const { hazard, action } = props;
  const ext = hazard.extension;
  if ((action === 'approve_extension' || action === 'refuse_extension') && ext) {
    return (
      <dl class="facts" data-testid="extension-request">
        <dt>申请延至</dt><dd data-testid="extension-requested-deadline">{ext.requested_deadline ? localDate(ext.requested_deadline) : '—'}</dd>
        <dt>延期理由</dt><dd class="prewrap">{ext.reason}</dd>
        <dt>申请时间</dt><dd>{formatTime(ext.requested_at)}
          {ext.after_deadline && <> <span class="badge bad" data-testid="extension-late">逾期后申请</span></>}</dd>
        <dt>原整改期限</dt><dd>{formatTime(hazard.deadline_at) || '—'}</dd>
      </dl>
    );
  }
  if ((action === 'approve_governance_plan' || action === 'return_governance_plan') && hazard.governance_plan) {
    return <GovernancePlan hazard={hazard} />;
  }
  if (action === 'verify_fail') return <p class="muted">企业须在重新确定的期限内再次整改，期限由您确认。</p>;
  if (action === 'list_supervision') return <p class="muted">挂牌督办后，该隐患列入督办清单，整改完成并复查通过后方可摘牌。</p>;
  return null;
}

function ActionForm(props: { hazard: HazardDetail; spec: ActionSpec; onDone: (outboxId: string) => void;
  onCancel: () => void }) {
  const { spec, hazard } = props;
  const [values, setValues] = useState<FormValues>(() => initialValues(spec, hazard));
  const sending = useRef(false);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A 复查 visit records where it was done: the position is asked for as the form opens.
  const visit = VISIT_ACTIONS.includes(spec.action);
  const [position, setPosition] = useState<Position | null | undefined>(undefined);
  const locating = useRef<Promise<Position | null> | null>(null);
  useEffect(() => {
    if (!visit) return;
    let live = true;
    locating.current = currentPosition();
    void locating.current.then((p) => live && setPosition(p));
    return () => {
      live = false;
    };
  }, [visit]);
  const set = (name: string, value: string | string[]) => {
    setValues((v) => ({ ...v, [name]: value }));
    // A corrected field loses its message; the others keep theirs until the next submit.
    setProblems((p) => (p[name] ? Object.fromEntries(Object.entries(p).filter(([k]) => k !== name)) : p));
  };

  function addPhoto(name: string, event: Event) {
    return pickPhoto(event, (photo) => set(name, [...((values[name] as string[]) ?? []), photo.id]), setBusy, setError);
  }

  async function submit(event: Event) {
    event.preventDefault();
    // A double tap queues the step once (state would only update after the second tap's handler ran).
    if (sending.current) return;
    const found = fieldProblems(spec, values, hazard);
    setProblems(found);
    setError(null);
    if (Object.keys(found).length) return;
    sending.current = true;
    setBusy(true);
    try {
      const where = visit ? (position !== undefined ? position : await (locating.current ?? Promise.resolve(null))) : undefined;
      props.onDone(await enqueueStep(hazard, spec, values, where));
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
      sending.current = false;
    }
  }

  const problem = (name: string) => problems[name]
    ? <div class="field-error" role="alert" data-testid={`error-${name}`}>{problems[name]}</div> : null;
  return (
    <form class="card action-form" data-testid={`form-${spec.action}`} onSubmit={(e) => void submit(e)} noValidate>
      <h3>{spec.label}</h3>
      {visit && <><PhotoFlags hazard={hazard} /><VisitPresence hazard={hazard} position={position} /></>}
      <ActionContext hazard={hazard} action={spec.action} />
      {spec.fields.map((f) => {
        const id = `f-${spec.action}-${f.name}`;
        if (f.kind === 'photos') {
          const ids = (values[f.name] as string[]) ?? [];
          return (
            <div key={f.name}>
              <label>{f.label}{f.required ? '（必填）' : ''}</label>
              <div class="photos" data-testid={`photos-${f.name}`}>
                {ids.map((p) => <figure key={p}><HazardPhoto id={p} alt={f.label} /></figure>)}
              </div>
              <label class="btn block camera" data-testid={f.name === 'after_photo_ids' ? 'camera-after' : 'camera'}>
                {busy ? '正在处理照片…' : `拍摄${f.label}`}
                <input type="file" accept="image/*" disabled={busy} data-field={f.name}
                  onChange={(e) => void addPhoto(f.name, e)} />
              </label>
              {problem(f.name)}
            </div>
          );
        }
        const common = { id, name: f.name, value: (values[f.name] as string) ?? '',
          'aria-invalid': problems[f.name] ? true : undefined,
          onInput: (e: Event) => set(f.name, (e.target as HTMLInputElement).value) };
        return (
          <div key={f.name}>
            <label for={id}>{f.label}{f.required ? '（必填）' : ''}</label>
            {f.hint && <small class="muted field-hint">{f.hint}</small>}
            {f.kind === 'textarea' ? <textarea {...common} />
              : <input {...common} type={f.kind === 'number' ? 'number' : f.kind === 'date' ? 'date' : 'text'}
                inputMode={f.kind === 'number' ? 'decimal' : undefined} min={f.kind === 'number' ? 0 : undefined} />}
            {problem(f.name)}
          </div>
        );
      })}
      {problems._ && <Banner kind="error" testid="form-error">{problems._}</Banner>}
      {error && <Banner kind="error" testid="form-error">{error}</Banner>}
      <div class="button-row">
        <button type="submit" class={`btn ${spec.danger ? 'danger' : 'primary'}`} disabled={busy} data-testid="action-submit">
          {busy ? '正在保存…' : '提交'}
        </button>
        <button type="button" class="btn" onClick={props.onCancel}>取消</button>
      </div>
    </form>
  );
}

/** 发布到曝光台 / 撤下: first exactly what the public will see, then the confirmation (online only). */
function PublicationForm(props: { hazard: HazardDetail; spec: ActionSpec; onDone: () => void; onCancel: () => void }) {
  const { hazard, spec } = props;
  const [preview, setPreview] = useState<PublicationPreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const show = spec.action === 'publish_exposure';
  const sending = useRef(false);
  useEffect(() => {
    loadPublicationPreview(hazard.id).then(setPreview)
      .catch((e) => setError(e instanceof HttpError ? e.problem.detail : '需要联网才能预览曝光台内容。'));
  }, [hazard.id]);

  async function confirm() {
    if (sending.current) return;
    sending.current = true;
    setBusy(true);
    setError(null);
    try {
      await setPublication(hazard.id, show);
      props.onDone();
    } catch (e) {
      setError(e instanceof HttpError ? e.problem.detail : '无法连接服务器，请联网后重试。');
      setBusy(false);
      sending.current = false;
    }
  }

  const card = preview && {
    ...preview.preview,
    photos: preview.preview.photos.map(previewPhoto),
    before_after: preview.preview.before_after.map((p) => ({ before: previewPhoto(p.before), after: previewPhoto(p.after) })),
  };
  return (
    <div class="card action-form" data-testid={`form-${spec.action}`}>
      <h3>{spec.label}</h3>
      <p class="muted">{show ? '公开后，公众在曝光台和场所二维码页面看到的内容如下（不含人员和内部编号）：'
        : '撤下后，公众将不再看到以下内容：'}</p>
      {card ? <div class="publication-preview" data-testid="publication-preview"><HazardCard hazard={card} /></div>
        : !error && <p class="muted">正在生成预览…</p>}
      {error && <Banner kind="error" testid="form-error">{error}</Banner>}
      <div class="button-row">
        <button type="button" class={`btn ${spec.danger ? 'danger' : 'primary'}`} disabled={busy || !card}
          data-testid="action-submit" onClick={() => void confirm()}>
          {busy ? '正在提交…' : show ? '确认发布' : '确认撤下'}
        </button>
        <button type="button" class="btn" onClick={props.onCancel}>取消</button>
      </div>
    </div>
  );
}

function GovernancePlan(props: { hazard: HazardDetail }) {
  const { hazard } = props;
  const state = hazard.governance_plan_state;
  return (
    <div class="card" data-testid="governance-plan" data-state={state ?? ''}><b>重大隐患治理方案</b>
      {state && <> <span class={`badge plan-${state}`} data-testid="plan-state">{PLAN_STATE_LABELS[state]}</span></>}
      {state === 'returned' && hazard.governance_plan_note && <Banner kind="error" testid="plan-note">退回理由：{hazard.governance_plan_note}</Banner>}
      {state === 'approved' && hazard.governance_plan_note && <div class="muted">审批意见：{hazard.governance_plan_note}</div>}
      {GOVERNANCE_PLAN_PARTS.map(([key, label]) => hazard.governance_plan?.[key]
        ? <div key={key}><small class="muted">{label}</small><div class="prewrap">{hazard.governance_plan[key]}</div></div> : null)}
    </div>
  );
}

const PLAN_STATE_LABELS: Record<string, string> = { submitted: '待审批', approved: '已批准', returned: '已退回' };
const EXTENSION_STATE_LABELS: Record<string, string> = { requested: '待审批', approved: '已同意', refused: '未同意' };

export function HazardPage(props: { id: number }) {
  const changed = useStore(hazardsChanged);
  const items = useStore(outboxStore);
  const session = useStore(sessionStore);
  const [hazard, setHazard] = useState<HazardDetail | null | undefined>(undefined);
  const [fetchedAt, setFetchedAt] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [lastId, setLastId] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void (async () => {
      const cached = await cachedHazard(props.id);
      if (live && cached) {
        setHazard(cached.data);
        setFetchedAt(cached.fetchedAt);
      }
      try {
        const fresh = await refreshHazard(props.id);
        if (!live) return;
        setHazard(fresh.data);
        setFetchedAt(fresh.fetchedAt);
      } catch (e) {
        if (!live || cached) return;
        setHazard(null);
        setError((e as Error).name === 'HttpError' ? (e as Error).message : '离线，且本机没有该隐患的数据。');
      }
    })();
    return () => {
      live = false;
    };
  }, [props.id, changed]);

  if (hazard === undefined) return <p>正在加载…</p>;
  if (hazard === null) return <Banner kind="error">{error}</Banner>;
  const pending = pendingSteps(items, hazard.id);
  const last = items.find((i) => i.id === lastId) ?? null;
  const actions = offeredActions(hazard.allowed_actions);
  const blocked = (hazard.blocked_actions ?? []).filter((b) => !hazard.allowed_actions.includes(b.action));
  const openSpec = open ? actions.find((a) => a.action === open) ?? null : null;
  const pairs = photoPairs(hazard);
  const orders = hazard.documents ?? [];
  return (
    <div data-testid="hazard" data-status={hazard.status}>
      <h2>{hazard.site_name}</h2>
      <p>
        <span class={`badge status-${hazard.status}`} data-testid="hazard-status">{STATUS_LABELS[hazard.status]}</span>
        {' '}<span class={`badge level-${hazard.level}`}>{LEVEL_LABELS[hazard.level]}隐患</span>
        {' '}<Deadline hazard={hazard} />
      </p>
      <p>{hazard.description}</p>
      <p class="muted">{hazard.number} · 发现于 {formatTime(hazard.found_at)}
        {hazard.deadline_at ? ` · 期限 ${formatTime(hazard.deadline_at)}` : ''}
        {hazard.rejection_count ? ` · 复查不通过 ${hazard.rejection_count} 次` : ''}</p>
      {/* 来自检查: the inspection that found it (an enterprise never sees a 暗访's record). */}
      {hazard.inspection_id && !(hazard.covert && appRole(session?.user.grants) === 'enterprise') && (
        <p><a href={inspectionPath(hazard.inspection_id)} data-testid="hazard-inspection">来自检查：查看检查记录</a></p>)}
      <p class="muted" data-testid="hazard-fetched-at">数据更新于 {ago(fetchedAt)}</p>

      {last && (last.state === 'sent' || last.state === 'acknowledged') && (
        <Banner kind="info" testid="action-message">{acceptedText(last)}</Banner>)}
      {pending.map((p) => (
        <Banner key={p.id} kind={p.state === 'needs_attention' ? 'error' : 'info'} testid="pending-step">
          「{p.label.split(' · ').pop()}」已保存到本机 · {STATE_LABELS[p.state]}
          {p.lastError && p.state === 'needs_attention' ? `：${p.lastError.detail}` : ''}。<a href="/outbox">查看待发送</a>
        </Banner>
      ))}

      <h2>整改前 / 整改后</h2>
      <div class="pairs" data-testid="photo-pairs">
        <div class="pair head"><span>整改前</span><span>整改后</span></div>
        {pairs.length === 0 ? <p class="muted">没有照片。</p> : pairs.map(([before, after], i) => (
          <div class="pair" key={i}>
            <figure><HazardPhoto id={before} alt="整改前" /></figure>
            <figure><HazardPhoto id={after} alt="整改后" /></figure>
          </div>
        ))}
      </div>
      {!(openSpec && VISIT_ACTIONS.includes(openSpec.action)) && <PhotoFlags hazard={hazard} />}
      {hazard.presence?.last_visit && (
        <p class={`visit-presence${hazard.presence.last_visit.far_from_site ? ' far' : ''}`} data-testid="last-visit">
          {visitLine(hazard.presence.last_visit.kind, { ...hazard.presence.last_visit,
            position: hazard.presence.last_visit.located ? true : null })}
          <small class="muted"> · {formatTime(hazard.presence.last_visit.occurred_at)}</small></p>
      )}
      <SpotCheckNote hazard={hazard} />
      {hazard.rectification && (
        <div class="card" data-testid="rectification">
          <b>整改情况：</b>{hazard.rectification.measures}
          {hazard.rectification.cost != null && <div>整改资金：{hazard.rectification.cost} 元</div>}
          {hazard.rectification.responsible_person && <div>责任人：{hazard.rectification.responsible_person}</div>}
        </div>
      )}
      {(hazard.governance_plan || hazard.governance_plan_state) && <GovernancePlan hazard={hazard} />}
      {hazard.extension && (
        <div class="card" data-testid="extension" data-state={hazard.extension.state}><b>延期申请</b>{' '}
          <span class="badge">{EXTENSION_STATE_LABELS[hazard.extension.state] ?? '—'}</span>
          {hazard.extension.after_deadline && <> <span class="badge bad">逾期后申请</span></>}
          <div>申请延至 {hazard.extension.requested_deadline ? localDate(hazard.extension.requested_deadline) : '—'}
            <small class="muted"> · 申请于 {formatTime(hazard.extension.requested_at)}</small></div>
          {hazard.extension.reason && <div class="prewrap">理由：{hazard.extension.reason}</div>}
          {hazard.extension.decision_note && <div class="muted">审批意见：{hazard.extension.decision_note}</div>}
        </div>
      )}
      {hazard.supervision && (
        <div class="card" data-testid="supervision"><b>挂牌督办</b>{' '}
          <span class={`badge${hazard.supervision.lifted_at ? '' : ' bad'}`} data-testid="supervision-state">
            {hazard.supervision.lifted_at ? '已摘牌' : '督办中'}</span>
          <div>督办单位：{hazard.supervision.authority}</div>
          {hazard.supervision.deadline && <div>督办期限：{localDate(hazard.supervision.deadline)}</div>}
          {hazard.supervision.requirements && <div class="prewrap">督办要求：{hazard.supervision.requirements}</div>}
          <small class="muted">挂牌于 {formatTime(hazard.supervision.listed_at)}
            {hazard.supervision.lifted_at ? ` · 摘牌于 ${formatTime(hazard.supervision.lifted_at)}` : ''}</small>
        </div>
      )}
      {hazard.published && <p><span class="badge" data-testid="published">已在曝光台公开</span></p>}

      {pending.length === 0 && (actions.length > 0 || blocked.length > 0) && <>
        <h2>办理</h2>
        {openSpec ? (openSpec.publication
          ? <PublicationForm hazard={hazard} spec={openSpec} onCancel={() => setOpen(null)} onDone={() => setOpen(null)} />
          : <ActionForm key={openSpec.action} hazard={hazard} spec={openSpec} onCancel={() => setOpen(null)}
            onDone={(id) => { setOpen(null); setLastId(id); }} />
        ) : <div class="actions" data-testid="actions">
          {actions.map((a) => (
            <button key={a.action} type="button" class={`btn block${a.danger ? ' danger' : ''}`} data-testid={`action-${a.action}`}
              onClick={() => { setLastId(null); setOpen(a.action); }}>{a.label}</button>
          ))}
          {blocked.map((b) => (
            <div key={b.action} class="blocked-step" data-testid={`blocked-${b.action}`}>
              <button type="button" class="btn block" disabled aria-describedby={`why-${b.action}`}>
                {ACTIONS[b.action]?.label ?? b.label}</button>
              <small class="muted" id={`why-${b.action}`}>{b.reason}</small>
            </div>
          ))}
        </div>}
      </>}

      {hazard.item && <><h2>检查依据（三标）</h2><References item={hazard.item} /></>}

      {orders.length > 0 && <>
        <h2>文书</h2>
        <ul class="list" data-testid="documents">
          {orders.map((d) => (
            <li key={d.id}><a href={documentPdfPath(d.id)} target="_blank" rel="noopener" data-testid="document-link"
              data-kind={d.kind} type="application/pdf">
              {DOCUMENT_LABELS[d.kind] ?? '执法文书'} {d.number}（PDF）
              <br /><small>{formatTime(d.issued_at)}</small></a></li>
          ))}
        </ul>
      </>}

      <h2>处理记录</h2>
      <ol class="timeline" data-testid="timeline">
        {hazard.timeline.map((e) => (
          <li key={e.id}>
            <b>{e.label}</b> <small class="muted">{formatTime(e.occurred_at)}{e.actor_name ? ` · ${e.actor_name}` : ''}</small>
            {e.note && <div>{e.note}</div>}
            {visitLine(e.kind, e.payload ?? {}) && <div class="muted" data-testid="visit-line">{visitLine(e.kind, e.payload ?? {})}</div>}
          </li>
        ))}
      </ol>
    </div>
  );
}
