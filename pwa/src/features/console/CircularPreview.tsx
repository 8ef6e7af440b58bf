/**
 * 通报预览: the week's or month's circular for the chosen scope as it would be drafted now — its figures with their
 * denominators, the overdue and 重大 hazards — without saving anything (GET /circular-drafts); 生成通报草稿 then
 * stores a draft to review and publish.
 */
import { useState } from 'preact/hooks';
import { apiPath, request } from '../../api/http';
import { Banner } from '../../ui/components';
import type { CircularFigure } from './api';
import { day, percent } from './logic';
import { errorText } from './ui';
import './circular-preview.css';

type Line = { id?: number; number?: string; site?: string; level?: string; responsible_department?: string | null;
  deadline_at?: string | null; description?: string };

interface Preview {
  title: string;
  found_from: string;
  found_to: string;
  figures: CircularFigure[];
  overdue?: Line[];
  major?: Line[];
}

/** The preview's query from a draft scope's body (the same scopes 生成通报草稿 offers). */
function previewQuery(scope: Record<string, unknown>, period: string): string {
  const query = new URLSearchParams({
    period, date: new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }) });
  if (scope.department_id) query.set('department', String(scope.department_id));
  else if (scope.region_id) query.set('region', String(scope.region_id));
  return query.toString();
}

/** The period's end is exclusive (the next Monday or the 1st): its last day is the day before. */
function lastDay(end: string): string {
  return day(new Date(new Date(end).getTime() - 1).toISOString());
}

function Lines(props: { title: string; lines: Line[] | undefined; testid: string }) {
  const lines = props.lines ?? [];
  return (
    <>
      <h3>{props.title}（{lines.length}）</h3>
      {lines.length === 0 ? <p class="muted">无。</p> : (
        <div class="table-wrap">
          <table class="grid-table" data-testid={props.testid}>
            <thead><tr><th>编号</th><th>场所</th><th>级别</th><th>责任单位</th><th>期限</th><th>隐患</th></tr></thead>
            <tbody>{lines.map((l, i) => (
              <tr key={l.id ?? i}>
                <td>{l.id ? <a href={`/console/hazards/${l.id}`}>{l.number}</a> : l.number}</td>
                <td>{l.site ?? '—'}</td><td>{l.level ?? '—'}</td><td>{l.responsible_department ?? '—'}</td>
                <td>{day(l.deadline_at ?? null)}</td><td>{l.description ?? ''}</td>
              </tr>
            ))}</tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** 「预览（不保存）」 and, once asked, the preview under the form. A custom period can only be drafted. */
export function CircularPreview(props: { scope: Record<string, unknown> | undefined; period: string }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const custom = props.period === 'custom';
  async function show() {
    if (!props.scope) return;
    setBusy(true);
    setError(null);
    try {
      setPreview((await request<Preview>('GET', apiPath(`/circular-drafts?${previewQuery(props.scope, props.period)}`))).data);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" class="btn small" disabled={busy || custom || !props.scope} data-testid="preview-draft"
        title={custom ? '自定义周期请直接生成草稿' : '查看本期通报的数字和名单，不保存'} onClick={() => void show()}>
        {busy ? '正在生成预览…' : '预览（不保存）'}</button>
      {error && <Banner kind="error">{error}</Banner>}
      {preview && (
        <section class="panel circular-preview" data-testid="circular-preview" aria-label="通报预览">
          <div class="panel-head">
            <h2>{preview.title}</h2>
            <button type="button" class="btn small" onClick={() => setPreview(null)}>关闭预览</button>
          </div>
          <p class="muted">统计期：{day(preview.found_from)} 至 {lastDay(preview.found_to)} · 预览未保存；需要审核发布时请点「生成通报草稿」。</p>
          <div class="cards small">
            {preview.figures.map((f) => (
              <div key={f.key} class="stat-card" data-testid="preview-figure" data-key={f.key} title={f.definition}>
                <span class="stat-label">{f.label}</span>
                <b>{f.is_rate ? percent(f.value) : f.text}</b>
                {f.is_rate && f.denominator_label &&
                  <small class="muted">{f.numerator ?? '—'}/{f.denominator ?? '—'}（分母：{f.denominator_label}）</small>}
              </div>
            ))}
          </div>
          <Lines title="逾期未整改（责任单位）" lines={preview.overdue} testid="preview-overdue" />
          <Lines title="重大隐患" lines={preview.major} testid="preview-major" />
        </section>
      )}
    </>
  );
}
