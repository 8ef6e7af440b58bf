/**
 * 检查记录: one submitted inspection, read-only and phone-first — who inspected, when and how (扫码, 定位), the score,
 * the 不符合 items with their findings and photos, the hazards it found, the rest of the answers; and a site's list of
 * them (检查记录 on the site page and in 一企一档). Online only: the record is the server's.
 */
import { useEffect, useState } from 'preact/hooks';
import { HttpError, apiPath, request } from '../../api/http';
import { loadChecklistVersion } from '../../api/data';
import type { ChecklistContent, ChecklistItem } from '../../api/types';
import { Banner, formatTime } from '../../ui/components';
import { HazardPhoto } from '../hazards/HazardPage';
import { LEVEL_LABELS, STATUS_LABELS } from '../hazards/logic';
import { inspectionPath } from './record-path';

export interface InspectionAnswer {
  item_code: string;
  result?: string;
  value?: number | null;
  choice?: string | null;
  count?: number | null;
  finding?: string;
  photo_ids?: string[];
  fixed_on_site?: boolean;
  after_photo_ids?: string[];
  level?: string | null;
}

export interface InspectionSummary {
  id: number;
  site_id: number;
  site_name: string;
  checklist_id: string;
  checklist_version: string;
  checklist_title: string;
  mode: string;
  mode_label: string;
  inspector_role_label: string;
  started_at: string;
  finished_at: string;
  received_at: string;
  distance_m: number | null;
  far_from_site: boolean;
  qr_scanned_at: string | null;
  qr_token_current: boolean | null;
  score_total: number;
  score_max: number;
  finding_count: number;
  notes: string | null;
}

export interface InspectionRecord extends InspectionSummary {
  inspector_name: string | null;
  signature_photo_id: string | null;
  answers: InspectionAnswer[];
  hazards: { id: number; number: string; status: keyof typeof STATUS_LABELS; level: string; item_code: string | null;
    how: string }[];
}

/** The console shows the record, its hazards and its site in its own frame; the field app in its own. */
function base(): string {
  return location.pathname.startsWith('/console') ? '/console' : '';
}

function problem(e: unknown, what: string): string {
  if (e instanceof HttpError) return e.status === 404 ? `${what}不存在，或不在您的查看范围内。` : e.problem.detail;
  return `${what}需要联网查看：请连接网络后再打开。`;
}

function score(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** What was answered, in words: 符合 / 不符合 / 不涉及, a measured value with its unit, a chosen option, or 未检查. */
function answerText(answer: InspectionAnswer | undefined, item: ChecklistItem | undefined): string {
  if (!answer) return '未检查';
  if (answer.result) return answer.result + (answer.count && answer.count > 1 ? `（${answer.count} 处）` : '');
  if (answer.value !== null && answer.value !== undefined) {
    return `${answer.value}${item?.answer.type === 'number' ? item.answer.unit ?? '' : ''}`;
  }
  if (answer.choice) {
    const options = item?.answer.type === 'choice' ? item.answer.options : [];
    return options.find((o) => o.value === answer.choice)?.label ?? answer.choice;
  }
  return '未检查';
}

function Finding(props: { answer: InspectionAnswer; item: ChecklistItem | undefined }) {
  const { answer, item } = props;
  return (
    <li class="card" data-testid="record-finding" data-code={answer.item_code}>
      <div><b>{item?.text ?? '检查条目'}</b></div>
      <div>
        <span class="badge level-major">{answerText(answer, item)}</span>
        {answer.level === '重大' && <> <span class="badge level-major">重大隐患</span></>}
        {answer.fixed_on_site && <> <span class="badge status-closed">现场已整改</span></>}
      </div>
      {answer.finding && <p>{answer.finding}</p>}
      {(answer.photo_ids ?? []).length > 0 && (
        <div class="photos" data-testid="record-photos">
          {(answer.photo_ids ?? []).map((id, i) => <HazardPhoto key={id} id={id} alt={`问题照片 ${i + 1}`} />)}
        </div>
      )}
      {(answer.after_photo_ids ?? []).length > 0 && <>
        <div class="muted">现场整改后</div>
        <div class="photos">
          {(answer.after_photo_ids ?? []).map((id, i) => <HazardPhoto key={id} id={id} alt={`整改后照片 ${i + 1}`} />)}
        </div>
      </>}
    </li>
  );
}

function RecordBody(props: { record: InspectionRecord; content: ChecklistContent | null }) {
  const { record, content } = props;
  const items = new Map<string, ChecklistItem>();
  for (const section of content?.sections ?? []) for (const item of section.items) items.set(item.code, item);
  const answers = new Map(record.answers.map((a) => [a.item_code, a]));
  const failed = record.answers.filter((a) => a.result === '不符合' || (a.finding ?? '') !== '');
  const count = (result: string) => record.answers.filter((a) => a.result === result).length;
  const answered = record.answers.filter((a) => answerText(a, items.get(a.item_code)) !== '未检查').length;
  const unchecked = content ? Math.max(0, items.size - answered) : record.answers.length - answered;
  const sitePath = base() === '/console' ? `/console/sites/${record.site_id}` : `/sites/${record.site_id}`;
  return (
    <div data-testid="inspection-record" data-id={record.id}>
      <h2><a href={sitePath} data-testid="record-site">{record.site_name}</a></h2>
      <div class="card">
        <div data-testid="record-checklist">{record.checklist_title}<span class="muted">（第 {record.checklist_version} 版）</span></div>
        <div>检查方式：<span data-testid="record-mode">{record.mode_label}</span></div>
        <div data-testid="record-inspector">检查人：{record.inspector_name ?? '—'}{record.inspector_role_label
          ? `（${record.inspector_role_label}）` : ''}</div>
        <div data-testid="record-time">检查时间：{formatTime(record.started_at)} 至 {formatTime(record.finished_at)}</div>
        <div class="muted">提交时间：{formatTime(record.received_at)}</div>
        <div data-testid="record-presence">到场确认：{record.qr_scanned_at
          ? `已扫码（${formatTime(record.qr_scanned_at)}）${record.qr_token_current === false ? '，所扫二维码已更换' : ''}`
          : '未扫码'}{record.distance_m !== null && record.distance_m !== undefined
          ? `；定位距场所约 ${Math.round(record.distance_m)} 米${record.far_from_site ? '，距离偏远' : ''}` : '；无定位'}</div>
      </div>
      <div class="card" data-testid="record-score">
        <div>得分：<b>{score(record.score_total)}</b> / {score(record.score_max)}</div>
        <div>不符合 {count('不符合')} 项 · 符合 {count('符合')} 项 · 不涉及 {count('不涉及')} 项{unchecked ? ` · 未检查 ${unchecked} 项` : ''}</div>
      </div>

      <h2>发现的隐患（{record.hazards.length}）</h2>
      {record.hazards.length === 0 ? <p class="muted">本次检查没有形成隐患，或您无权查看。</p> : (
        <ul class="list" data-testid="record-hazards">
          {record.hazards.map((h) => (
            <li key={h.id}><a href={`${base()}/hazards/${h.id}`}>{h.number}
              {' '}<span class={`badge status-${h.status}`}>{STATUS_LABELS[h.status] ?? ''}</span>
              {' '}<span class={`badge level-${h.level}`}>{LEVEL_LABELS[h.level] ?? ''}隐患</span>
              {h.how === 'observed_again' ? <small class="muted"> 再次发现</small> : null}
              {h.item_code && items.get(h.item_code) ? <><br /><small>{items.get(h.item_code)!.text}</small></> : null}
            </a></li>
          ))}
        </ul>
      )}

      <h2>问题与照片（{failed.length}）</h2>
      {failed.length === 0 ? <p class="muted">没有不符合项。</p> : (
        <ul class="list">{failed.map((a) => <Finding key={a.item_code} answer={a} item={items.get(a.item_code)} />)}</ul>
      )}

      {record.notes && <><h2>备注</h2><p class="prewrap" data-testid="record-notes">{record.notes}</p></>}
      {record.signature_photo_id && <><h2>签名</h2><HazardPhoto id={record.signature_photo_id} alt="签名" /></>}

      {content && (
        <details class="card" data-testid="record-all-answers">
          <summary>全部检查条目（{items.size} 项）</summary>
          {content.sections.map((s) => (
            <div key={s.code}>
              <h3>{s.title}</h3>
              <ul class="list">
                {s.items.map((item) => (
                  <li key={item.code}>{item.text} <b class="nowrap">{answerText(answers.get(item.code), item)}</b></li>
                ))}
              </ul>
            </div>
          ))}
        </details>
      )}
    </div>
  );
}

/** /inspections/:id (and /console/inspections/:id): the record of one inspection. */
export function InspectionRecordPage(props: { id: number }) {
  const [record, setRecord] = useState<InspectionRecord | null>(null);
  const [content, setContent] = useState<ChecklistContent | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const found = (await request<InspectionRecord>('GET', apiPath(`/inspections/${props.id}`))).data!;
        if (!live) return;
        setRecord(found);
        // The item texts: the version is immutable and usually already on the phone.
        const version = await loadChecklistVersion(found.checklist_id, found.checklist_version).catch(() => null);
        if (live && version) setContent(version.content);
      } catch (e) {
        if (live) setError(problem(e, '检查记录'));
      }
    })();
    return () => {
      live = false;
    };
  }, [props.id]);
  if (error) return <Banner kind="error" testid="record-error">{error}</Banner>;
  if (!record) return <p>正在加载…</p>;
  return <RecordBody record={record} content={content} />;
}

/** A site's inspections, newest first, each opening its record (the site page, 一企一档). */
export function InspectionHistory(props: { siteId: number }) {
  const [items, setItems] = useState<InspectionSummary[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    request<{ items: InspectionSummary[]; total: number }>('GET', apiPath(`/inspections?site=${props.siteId}&per_page=20`))
      .then((r) => {
        if (!live) return;
        setItems(r.data?.items ?? []);
        setTotal(r.data?.total ?? 0);
      })
      .catch((e) => live && setError(problem(e, '检查记录')));
    return () => {
      live = false;
    };
  }, [props.siteId]);
  return (
    <section data-testid="inspection-history">
      <h2>检查记录{items ? `（${total}）` : ''}</h2>
      {error ? <p class="muted">{error}</p> : items === null ? <p class="muted">正在加载…</p> : items.length === 0
        ? <p class="muted">该场所还没有检查记录。</p> : (
          <ul class="list">
            {items.map((i) => (
              <li key={i.id} data-testid="inspection-row" data-id={i.id}><a href={inspectionPath(i.id)}>
                {formatTime(i.finished_at)} · {i.mode_label}
                <br /><small>{i.checklist_title} · 得分 {score(i.score_total)}/{score(i.score_max)} · 不符合 {i.finding_count} 项</small>
              </a></li>
            ))}
          </ul>
        )}
      {items !== null && total > items.length && <p class="muted">仅显示最近 {items.length} 次。</p>}
    </section>
  );
}
