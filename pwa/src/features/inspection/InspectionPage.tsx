/** The inspection form, rendered from the checklist version; every change is a draft write. */
import { Component } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ChecklistContent, ChecklistItem, ChecklistSection } from '../../api/types';
import { refreshOutbox, syncLoop } from '../../app-state';
import { saveDraft } from '../../db/drafts';
import { getPhoto } from '../../db/photos';
import type { AnswerDraft, InspectionDraft, PhotoRecord, Position } from '../../db/types';
import { enqueue } from '../../outbox/outbox';
import { navigate } from '../../router';
import { Banner, BlobImage, ConfirmDialog, SignaturePad, formatTime } from '../../ui/components';
import {
  MODES, RESULTS, allItems, answerRestCompliant, answerRestNotApplicable, emptyAnswer, isFailed, isNotApplicable,
  isoWithOffset, majorCriterion, mayBeMajor, photoIdsOf, toPayload, unansweredCount, unansweredItems, updateAnswer,
  validate, type FormIssue,
} from './form';
import { openDraft } from './open';
import { currentPosition, pickPhoto, storeCanvas } from './photos';
import { IDLE_STEP_ITEMS, ITEM_REM, firstPassItems, itemCount, itemsThrough, whenIdle } from './sections';
import { ScorePreview } from './ScorePreview';

/** 「09:30:05」 of an ISO time, on the device clock (Intl formatters cost a frame to build on a slow phone). */
function clock(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function Thumb(props: { id: string; onDelete?: () => void; index?: number }) {
  const [photo, setPhoto] = useState<PhotoRecord | null>(null);
  useEffect(() => {
    void getPhoto(props.id).then((p) => setPhoto(p ?? null));
  }, [props.id]);
  return (
    <figure data-testid="photo">
      <BlobImage blob={photo?.blob ?? null} alt={`现场照片${props.index != null ? ` ${props.index + 1}` : ''}`} />
      {photo && <figcaption>{formatTime(photo.capturedAt).slice(5)}
        {photo.position ? ` ±${photo.position.accuracy_m}米` : ' 无定位'}</figcaption>}
      {props.onDelete && <button type="button" class="btn small danger" data-testid="delete-photo"
        aria-label={`删除照片${props.index != null ? ` ${props.index + 1}` : ''}`} onClick={props.onDelete}>删除</button>}
    </figure>
  );
}

function CameraButton(props: { label: string; onPhoto: (p: PhotoRecord) => void; onError: (m: string) => void;
  testid?: string }) {
  const [busy, setBusy] = useState(false);
  function picked(event: Event) {
    return pickPhoto(event, props.onPhoto, setBusy, (message) => props.onError(message || '照片处理失败'));
  }
  return (
    // No capture attribute: the phone offers the camera and also the gallery or files (a scanned agreement, a licence).
    <label class="btn camera" data-testid={props.testid}>
      {busy ? '正在处理照片…' : props.label}
      <input type="file" accept="image/*" onChange={picked} disabled={busy} />
    </label>
  );
}

type AnswerHandler = (item: ChecklistItem, change: Partial<AnswerDraft>, position?: Position | null) => void;

interface ItemCardProps {
  item: ChecklistItem;
  answer: AnswerDraft | undefined;
  issue: boolean;
  /** Stable across renders, so an unchanged card is skipped (see ItemCardMemo). */
  onAnswer: AnswerHandler;
  onError: (m: string) => void;
}

/**
 * A card re-renders only when its own answer (or issue flag) changed: answering one of 100 items then costs
 * one card, not a hundred. updateAnswer keeps the other answers' objects, so identity comparison suffices.
 */
class ItemCardMemo extends Component<ItemCardProps> {
  shouldComponentUpdate(next: ItemCardProps): boolean {
    const p = this.props;
    return next.item !== p.item || next.answer !== p.answer || next.issue !== p.issue
      || next.onAnswer !== p.onAnswer || next.onError !== p.onError;
  }

  render() {
    return <ItemCard {...this.props} />;
  }
}

/** One item as the inspector sees it; the console's 检查表发布 shows it read-only as a preview. */
export function ItemCard(props: ItemCardProps) {
  const { item } = props;
  const onChange = (change: Partial<AnswerDraft>, position?: Position | null) => props.onAnswer(item, change, position);
  const a = props.answer ?? emptyAnswer();
  const failed = isFailed(item, props.answer);
  const spec = item.answer;
  const resultClass = (r: string) => (r === '符合' ? 'r-ok' : r === '不符合' ? 'r-bad' : 'r-na');
  const na = isNotApplicable(props.answer);
  const asksDocuments = (item.method ?? '').includes('资料');
  const photoLabel = asksDocuments ? '拍照或选择图片（资料、证照）' : '拍照或选择图片';
  const naButton = (
    <button type="button" class="r-na" aria-pressed={na} onClick={() => onChange({ result: '不涉及' })}>不涉及</button>
  );
  return (
    <div class={`card${failed ? ' failed' : ''}`} id={`item-${item.code}`} data-testid="item" data-code={item.code}>
      <div class="item-code">{item.code}{item.method ? ` · ${item.method}` : ''}
        {item.hazard?.level === '重大' ? ' · 可能构成重大隐患' : ''}</div>
      <div>{item.text}</div>
      {spec.type === 'compliance' && (
        <div class="seg" role="group" aria-label="检查结果">
          {RESULTS.map((r) => (
            <button key={r} type="button" class={resultClass(r)} aria-pressed={a.result === r}
              onClick={() => onChange({ result: r })}>{r}</button>
          ))}
        </div>
      )}
      {spec.type === 'number' && (
        <div>
          <label for={`value-${item.code}`}>数值{spec.unit ? `（${spec.unit}）` : ''}
            <span class="muted">
              {spec.min != null ? ` 不小于 ${spec.min}` : ''}{spec.max != null ? ` 不大于 ${spec.max}` : ''}
            </span>
          </label>
          <input id={`value-${item.code}`} type="number" inputMode="decimal" step="any" value={na ? '' : (a.value ?? '')}
            onInput={(e) => {
              const raw = (e.target as HTMLInputElement).value;
              onChange({ value: raw === '' ? undefined : Number(raw) });
            }} />
          <div class="seg one" role="group" aria-label="本项是否适用">{naButton}</div>
        </div>
      )}
      {spec.type === 'choice' && (
        <div class="choices" role="group" aria-label="检查结果">
          {spec.options.map((o) => (
            <button key={o.value} type="button" aria-pressed={!na && a.choice === o.value}
              onClick={() => onChange({ choice: o.value })}>{o.label}</button>
          ))}
          {naButton}
        </div>
      )}
      {failed && (
        <div>
          <label for={`finding-${item.code}`}>隐患描述</label>
          <textarea id={`finding-${item.code}`} data-testid="finding" value={a.finding}
            onInput={(e) => onChange({ finding: (e.target as HTMLTextAreaElement).value })} />
          <label for={`count-${item.code}`}>处数</label>
          <input id={`count-${item.code}`} type="number" inputMode="numeric" min={1} step={1} value={a.count}
            style="max-width:8rem" onInput={(e) => onChange({ count: Math.max(1, parseInt((e.target as HTMLInputElement).value, 10) || 1) })} />
          {mayBeMajor(item) && (
            <div class="major-judge" data-testid="major-judge">
              <div><b>可能构成重大隐患</b>，请对照判定条件：</div>
              <p class="criterion">{majorCriterion(item)}</p>
              <div class="seg two" role="group" aria-label="隐患等级判定">
                {(['一般', '重大'] as const).map((l) => (
                  <button key={l} type="button" class={l === '一般' ? 'r-na' : 'r-bad'}
                    aria-pressed={(a.level ?? '一般') === l} onClick={() => onChange({ level: l })}>{l}隐患</button>
                ))}
              </div>
            </div>
          )}
          <div class="photos" data-testid="photos">{a.photoIds.map((id, i) => <Thumb key={id} id={id} index={i}
            onDelete={() => onChange({ photoIds: a.photoIds.filter((x) => x !== id) })} />)}</div>
          <CameraButton label={item.photo_required_on_fail ? `${photoLabel}（必须）` : photoLabel} testid="camera"
            onError={props.onError}
            onPhoto={(p) => onChange({ photoIds: [...a.photoIds, p.id] }, p.position)} />
          {props.issue && <div class="banner error">请补全本项</div>}
          <label class="toggle">
            <input type="checkbox" checked={a.fixedOnSite}
              onChange={(e) => onChange({ fixedOnSite: (e.target as HTMLInputElement).checked })} />
            当场整改
          </label>
          {a.fixedOnSite && (
            <div>
              <div class="photos">{a.afterPhotoIds.map((id, i) => <Thumb key={id} id={id} index={i}
                onDelete={() => onChange({ afterPhotoIds: a.afterPhotoIds.filter((x) => x !== id) })} />)}</div>
              <CameraButton label="拍整改后照片或选择图片" onError={props.onError}
                onPhoto={(p) => onChange({ afterPhotoIds: [...a.afterPhotoIds, p.id] }, p.position)} />
            </div>
          )}
        </div>
      )}
    </div>
  );
}

/** Items not rendered yet: about their final height; rendering reaches ``until`` items when it comes near. */
function Pending(props: { count: number; until: number; onReach: (until: number) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const { until, onReach } = props;
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === 'undefined') return undefined;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) onReach(until);
    }, { rootMargin: '400px 0px' });
    observer.observe(el);
    return () => observer.disconnect();
  }, [until, onReach]);
  return <div ref={ref} data-pending="true" class="muted" style={{ minHeight: `${props.count * ITEM_REM}rem` }}>
    {props.count} 项</div>;
}

/** Each section with how many of its items are rendered, given ``rendered`` items in document order. */
function sectionsWithShown(content: ChecklistContent, rendered: number)
  : { section: ChecklistSection; first: number; shown: number }[] {
  let first = 0;
  return content.sections.map((section) => {
    const entry = { section, first, shown: Math.max(0, Math.min(section.items.length, rendered - first)) };
    first += section.items.length;
    return entry;
  });
}

export function InspectionPage(props: { id: string }) {
  const [draft, setDraft] = useState<InspectionDraft | null | undefined>(undefined);
  const [content, setContent] = useState<ChecklistContent | null>(null);
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [issues, setIssues] = useState<FormIssue[]>([]);
  const [signing, setSigning] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  /** Items rendered so far, in document order: the first screen at once, the rest when idle or within reach. */
  const [rendered, setRendered] = useState(0);
  const [scrollTo, setScrollTo] = useState<string | null>(null);
  const [confirmUnanswered, setConfirmUnanswered] = useState(false);
  const latest = useRef<InspectionDraft | null>(null);

  // A layout effect starts the read right after the first render; a plain effect would wait for a painted frame.
  useLayoutEffect(() => {
    void (async () => {
      const opened = await openDraft(props.id);
      const d = opened.draft;
      latest.current = d;
      // Draft and checklist arrive together: one render of the whole form, not three.
      setDraft(d);
      if (!d) return;
      setSavedAt(d.updatedAt);
      if (opened.content) {
        setRendered(firstPassItems(opened.content.sections));
        setContent(opened.content);
      } else {
        setError('本机没有这张检查表的离线副本，请联网后再打开。');
      }
      if (!d.position) {
        const position = await currentPosition();
        if (position && latest.current && !latest.current.position) update((x) => ({ ...x, position }));
      }
    })();
  }, [props.id]);

  // The remaining items, a few per idle moment, so scrolling down later finds them ready.
  useEffect(() => {
    const total = content ? itemCount(content.sections) : 0;
    if (rendered >= total) return undefined;
    const idle = whenIdle(() => setRendered((n) => Math.min(n + IDLE_STEP_ITEMS, total)));
    return () => idle.cancel();
  }, [content, rendered]);

  const reach = useCallback((until: number) => setRendered((n) => Math.max(n, until)), []);

  // A validation issue in a section not rendered yet: render up to it, then scroll.
  useEffect(() => {
    if (!scrollTo) return;
    document.getElementById(`item-${scrollTo}`)?.scrollIntoView({ block: 'center' });
    setScrollTo(null);
  }, [scrollTo, rendered]);

  function update(fn: (d: InspectionDraft) => InspectionDraft) {
    const next = fn(latest.current!);
    latest.current = next;
    setDraft(next);
    saveDraft(next).then((saved) => {
      setSavedAt(saved.updatedAt);
      setError(null);
    }).catch((e: Error) => setError(`保存失败：${e.message}`));
  }

  /** An answer changed; a photo's position (taken with it) becomes the inspection's position. */
  const onAnswer = useCallback<AnswerHandler>((item, change, position) => {
    update((d) => {
      const next = updateAnswer(d, item, change);
      return position ? { ...next, position } : next;
    });
  }, []);

  async function submit(confirmed = false) {
    const d = latest.current!;
    const found = validate(d, content!);
    setIssues(found);
    if (found.length) {
      reach(itemsThrough(content!.sections, found[0].itemCode));
      setScrollTo(found[0].itemCode);
      return;
    }
    // Unanswered items are allowed, but only knowingly: the list is shown before anything is queued.
    if (!confirmed && unansweredCount(d, content!) > 0) {
      setConfirmUnanswered(true);
      return;
    }
    setConfirmUnanswered(false);
    setSubmitting(true);
    try {
      const now = new Date();
      await enqueue({
        id: d.id, kind: 'inspection', label: `${d.siteName} · ${d.checklistTitle}`, siteId: d.siteId,
        payload: toPayload(d, content!, now, now), photoIds: photoIdsOf(d), source: d, replaces: d.replaces,
        after: d.siteClientId ?? null,
      });
      refreshOutbox();
      void syncLoop.request();
      navigate('/outbox', { replace: true });
    } catch (e) {
      setError(`提交失败：${(e as Error).message}`);
      setSubmitting(false);
    }
  }

  if (draft === undefined) return <p>正在打开草稿…</p>;
  if (draft === null) {
    return <Banner kind="error">找不到这份草稿（可能已提交）。请到“待发送”查看。</Banner>;
  }
  const failedCount = content ? allItems(content).filter((i) => isFailed(i, draft.answers[i.code])).length : 0;
  const issueCodes = new Set(issues.map((i) => i.itemCode));
  return (
    <div>
      <div class="savebar" data-testid="savebar">
        <span>{draft.siteName}</span>
        <span data-testid="saved-at">{savedAt ? `已保存 ${clock(savedAt)}` : '未保存'}</span>
      </div>
      <h2>{draft.checklistTitle}</h2>
      {draft.replaces && <Banner kind="info">这是对一条已部分发送记录的修改，提交后作为新版本替代原记录。</Banner>}
      {error && <Banner kind="error">{error}</Banner>}
      <label for="mode">检查方式</label>
      <select id="mode" value={draft.mode}
        onChange={(e) => update((d) => ({ ...d, mode: (e.target as HTMLSelectElement).value as InspectionDraft['mode'] }))}>
        {/* 企业自查 is the enterprise's only mode (its drafts start in it) and never an official's: offer what the server accepts. */}
        {MODES.filter((m) => (m.value === 'self') === (draft.mode === 'self'))
          .map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
      </select>
      <p class="muted">
        {draft.position ? `定位：±${draft.position.accuracy_m} 米` : '未获取定位（拍照时会再次尝试）'}
        {draft.qrScan ? ' · 已扫码到场' : ''}
      </p>
      {content && sectionsWithShown(content, rendered).map(({ section, first, shown }) => (
        <section key={section.code} data-testid="section">
          <h2>{section.code}. {section.title}</h2>
          {section.items.slice(0, shown).map((item) => (
            <ItemCardMemo key={item.code} item={item} answer={draft.answers[item.code]} issue={issueCodes.has(item.code)}
              onError={setError} onAnswer={onAnswer} />
          ))}
          {shown < section.items.length
            ? <Pending count={section.items.length - shown} until={first + section.items.length} onReach={reach} />
            : (
              <div class="section-actions">
                <button type="button" class="btn small"
                  onClick={() => update((d) => answerRestCompliant(d, section.items))}>本节其余全部符合</button>
                <button type="button" class="btn small" data-testid="section-na"
                  onClick={() => update((d) => answerRestNotApplicable(d, section.items))}>本节不涉及</button>
              </div>
            )}
        </section>
      ))}
      {content && <>
        <h2>备注</h2>
        <textarea aria-label="备注" value={draft.notes}
          onInput={(e) => update((d) => ({ ...d, notes: (e.target as HTMLTextAreaElement).value }))} />
        <h2>负责人签名（可选）</h2>
        {draft.signaturePhotoId && !signing && <div class="photos"><Thumb id={draft.signaturePhotoId} /></div>}
        {signing ? (
          <SignaturePad onCancel={() => setSigning(false)} onDone={(canvas) => {
            void storeCanvas(canvas).then((p) => {
              update((d) => ({ ...d, signaturePhotoId: p.id }));
              setSigning(false);
            }).catch((e: Error) => setError(e.message));
          }} />
        ) : (
          <div style="display:flex;gap:.5rem">
            <button type="button" class="btn" onClick={() => setSigning(true)}>
              {draft.signaturePhotoId ? '重新签名' : '请负责人签名'}</button>
            {draft.signaturePhotoId && <button type="button" class="btn danger"
              onClick={() => update((d) => ({ ...d, signaturePhotoId: null }))}>删除签名</button>}
          </div>
        )}
        <h2>提交</h2>
        <p>不符合 <b>{failedCount}</b> 项；未检查 <b>{unansweredCount(draft, content)}</b> 项。</p>
        <ScorePreview draft={draft} content={content} />
        {issues.length > 0 && (
          <Banner kind="error" testid="form-issues">
            <ul class="errors">{issues.map((i) => <li key={i.message}>{i.message}</li>)}</ul>
          </Banner>
        )}
        <button type="button" class="btn primary block" data-testid="submit" disabled={submitting}
          onClick={() => void submit()}>提交（无网络时自动排队发送）</button>
        {confirmUnanswered && (
          <ConfirmDialog title={`还有 ${unansweredCount(draft, content)} 项未检查`} confirmLabel="仍然提交"
            cancelLabel="返回填写" testid="unanswered-dialog" onCancel={() => setConfirmUnanswered(false)}
            onConfirm={() => void submit(true)}>
            <p>以下条目没有作答，提交后记为「未检查」：</p>
            <ul class="errors" data-testid="unanswered-list">
              {unansweredItems(draft, content).slice(0, 30).map((i) => <li key={i.code}>{i.code} {i.text}</li>)}
            </ul>
            {unansweredCount(draft, content) > 30 && <p class="muted">……共 {unansweredCount(draft, content)} 项</p>}
          </ConfirmDialog>
        )}
        <p class="muted">开始于 {draft.startedAt.slice(0, 16).replace('T', ' ')} · 提交时间 {isoWithOffset(new Date()).slice(11, 16)}</p>
      </>}
    </div>
  );
}
