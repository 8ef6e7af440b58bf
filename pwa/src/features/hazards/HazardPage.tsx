/**
 * 隐患详情: status and deadline, before/after photos side by side, the 三标 references, documents,
 * the timeline, and the workflow steps I may take (each queued in the outbox, so they work offline).
 */
import { useEffect, useState } from 'preact/hooks';
import { apiPath } from '../../api/http';
import type { HazardDetail, HazardItemReference } from '../../api/types';
import { hazardsChanged, outboxStore } from '../../app-state';
import { getPhoto } from '../../db/photos';
import { useStore } from '../../store';
import { Banner, BlobImage, ago, formatTime } from '../../ui/components';
import { capturePhoto } from '../inspection/photos';
import { STATE_LABELS } from '../outbox/OutboxPage';
import { Deadline } from './HazardListPage';
import { cachedHazard, enqueueStep, refreshHazard } from './data';
import {
  GOVERNANCE_PLAN_PARTS, LEVEL_LABELS, STATUS_LABELS, offeredActions, pendingSteps, photoPairs, validateAction,
  type ActionSpec, type FormValues,
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

function ActionForm(props: { hazard: HazardDetail; spec: ActionSpec; onDone: (outboxId: string) => void;
  onCancel: () => void }) {
  const { spec, hazard } = props;
  const [values, setValues] = useState<FormValues>({});
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const set = (name: string, value: string | string[]) => setValues((v) => ({ ...v, [name]: value }));

  async function addPhoto(name: string, event: Event) {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setBusy(true);
    try {
      const photo = await capturePhoto(file);
      setValues((v) => ({ ...v, [name]: [...((v[name] as string[]) ?? []), photo.id] }));
    } catch (e) {
      setProblems([(e as Error).message]);
    } finally {
      setBusy(false);
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    const found = validateAction(spec, values, hazard);
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    try {
      props.onDone(await enqueueStep(hazard, spec, values));
    } catch (e) {
      setProblems([(e as Error).message]);
      setBusy(false);
    }
  }

  return (
    <form class="card" data-testid={`form-${spec.action}`} onSubmit={(e) => void submit(e)}>
      <h3>{spec.label}</h3>
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
              <label class="btn block camera" data-testid="camera">{busy ? '正在处理照片…' : `拍摄${f.label}`}
                <input type="file" accept="image/*" capture="environment" disabled={busy}
                  onChange={(e) => void addPhoto(f.name, e)} />
              </label>
            </div>
          );
        }
        const common = { id, name: f.name, value: (values[f.name] as string) ?? '',
          onInput: (e: Event) => set(f.name, (e.target as HTMLInputElement).value) };
        return (
          <div key={f.name}>
            <label for={id}>{f.label}{f.required ? '（必填）' : ''}</label>
            {f.kind === 'textarea' ? <textarea {...common} />
              : <input {...common} type={f.kind === 'number' ? 'number' : f.kind === 'date' ? 'date' : 'text'}
                inputMode={f.kind === 'number' ? 'decimal' : undefined} min={f.kind === 'number' ? 0 : undefined} />}
          </div>
        );
      })}
      {problems.length > 0 && <Banner kind="error"><ul class="errors">{problems.map((p) => <li key={p}>{p}</li>)}</ul></Banner>}
      <div style="display:flex;gap:.5rem">
        <button type="submit" class={`btn ${spec.danger ? 'danger' : 'primary'}`} disabled={busy} data-testid="action-submit">
          提交
        </button>
        <button type="button" class="btn" onClick={props.onCancel}>取消</button>
      </div>
    </form>
  );
}

export function HazardPage(props: { id: number }) {
  const changed = useStore(hazardsChanged);
  const items = useStore(outboxStore);
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
      <p class="muted" data-testid="hazard-fetched-at">数据更新于 {ago(fetchedAt)}</p>

      {last && (last.state === 'sent' || last.state === 'acknowledged') && (
        <Banner kind="info" testid="action-message">「{last.label.split(' · ').pop()}」已送达服务器。</Banner>)}
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
      {hazard.rectification && (
        <div class="card" data-testid="rectification">
          <b>整改情况：</b>{hazard.rectification.measures}
          {hazard.rectification.cost != null && <div>整改资金：{hazard.rectification.cost} 元</div>}
          {hazard.rectification.responsible_person && <div>责任人：{hazard.rectification.responsible_person}</div>}
        </div>
      )}
      {hazard.governance_plan && (
        <div class="card"><b>治理方案</b>
          {GOVERNANCE_PLAN_PARTS.map(([key, label]) => hazard.governance_plan?.[key]
            ? <div key={key}><small class="muted">{label}</small><br />{hazard.governance_plan[key]}</div> : null)}
        </div>
      )}

      {pending.length === 0 && actions.length > 0 && <>
        <h2>办理</h2>
        {open ? (
          <ActionForm hazard={hazard} spec={actions.find((a) => a.action === open)!} onCancel={() => setOpen(null)}
            onDone={(id) => { setOpen(null); setLastId(id); }} />
        ) : actions.map((a) => (
          <button key={a.action} type="button" class={`btn block${a.danger ? ' danger' : ''}`} data-testid={`action-${a.action}`}
            onClick={() => { setLastId(null); setOpen(a.action); }}>{a.label}</button>
        ))}
      </>}

      {hazard.item && <><h2>检查依据（三标）</h2><References item={hazard.item} /></>}

      {orders.length > 0 && <>
        <h2>文书</h2>
        <ul class="list">
          {orders.map((d) => (
            <li key={d.id}><a href={apiPath(`/documents/${d.id}`)} target="_blank" rel="noopener" data-testid="document-link">
              {d.kind === 'order' ? '整改通知书' : d.kind === 'verification' ? '复查意见书' : '文书'} {d.number}
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
          </li>
        ))}
      </ol>
    </div>
  );
}
