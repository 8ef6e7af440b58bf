/**
 * 试算得分: before submitting (and before the responsible person signs), the score these answers would get under the
 * checklist version's deductions and caps — asked of the server, which scores the submitted inspection the same way
 * (POST /checklists/{id}/versions/{v}/score; nothing is stored). Offline it says the record will show the score.
 */
import { useState } from 'preact/hooks';
import { HttpError, apiPath, request } from '../../api/http';
import type { ChecklistContent } from '../../api/types';
import type { InspectionDraft } from '../../db/types';
import { toPayload } from './form';

interface ScoreResult {
  max_score: number;
  total: number;
  deduction: number;
  findings: { code: string; text: string; deduction: number; count: number }[];
}

function points(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** The draft's answers as the score endpoint reads them: item code → result / value / choice and count. */
export function scoreAnswers(draft: InspectionDraft, content: ChecklistContent): Record<string, Record<string, unknown>> {
  const answers = toPayload(draft, content, new Date(), new Date()).answers as Record<string, unknown>[];
  const out: Record<string, Record<string, unknown>> = {};
  for (const a of answers) {
    const { item_code: code, result, value, choice, count } = a;
    out[String(code)] = Object.fromEntries(Object.entries({ result, value, choice, count }).filter(([, v]) => v !== undefined));
  }
  return out;
}

export function ScorePreview(props: { draft: InspectionDraft; content: ChecklistContent }) {
  const [result, setResult] = useState<ScoreResult | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { draft, content } = props;
  async function score() {
    setBusy(true);
    setMessage(null);
    try {
      const path = `/checklists/${encodeURIComponent(draft.checklistId)}/versions/${encodeURIComponent(draft.checklistVersion)}/score`;
      setResult((await request<ScoreResult>('POST', apiPath(path), { json: { answers: scoreAnswers(draft, content) } })).data);
    } catch (e) {
      setResult(null);
      setMessage(e instanceof HttpError ? e.problem.detail : '离线，无法试算：提交后在检查记录中查看得分。');
    } finally {
      setBusy(false);
    }
  }
  return (
    <div data-testid="score-preview">
      <button type="button" class="btn" disabled={busy} data-testid="score-preview-button" onClick={() => void score()}>
        {busy ? '正在试算…' : '试算得分'}</button>
      {result && (
        <p data-testid="score-preview-result">按当前填写：得分 <b>{points(result.total)}</b> / {points(result.max_score)}
          {result.deduction > 0 ? `，扣 ${points(result.deduction)} 分（${result.findings.length} 项不符合）` : '，未扣分'}。
          <small class="muted">修改填写后请重新试算。</small></p>
      )}
      {message && <p class="muted" data-testid="score-preview-message">{message}</p>}
    </div>
  );
}
