/** /exposure, the 曝光台: hazards supervisors chose to publish, newest first; closed ones with before/after. */
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, exposureBoard, type PublicHazard } from './api';
import { HazardCard } from './HazardCard';

const PER_PAGE = 10;

export function ExposurePage() {
  const [items, setItems] = useState<PublicHazard[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [page, setPage] = useState(1);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    document.title = '曝光台 · 安全隐患';
    setLoading(true);
    setError(null);
    exposureBoard(page, PER_PAGE).then((answer) => {
      setItems((list) => (page === 1 ? answer.items : [...list, ...answer.items]));
      setTotal(answer.total);
    }).catch((e) => setError(errorMessage(e))).finally(() => setLoading(false));
  }, [page, attempt]);

  return (
    <div data-testid="exposure">
      <p class="muted">以下是监管部门公开曝光的安全隐患及整改情况。照片已去除拍摄信息，不涉及个人信息。</p>
      {total === 0 && <p class="muted" data-testid="exposure-empty">目前没有曝光的隐患。</p>}
      {items.map((h, i) => <HazardCard key={h.code ?? i} hazard={h} />)}
      {error && (
        <div class="banner error" role="alert">{error}
          <button type="button" class="link" onClick={() => setAttempt((a) => a + 1)}>重试</button></div>
      )}
      {loading && <p class="muted" aria-busy="true">正在加载…</p>}
      {!loading && total !== null && items.length < total && (
        <button type="button" class="btn block" onClick={() => setPage((p) => p + 1)}>加载更多</button>
      )}
    </div>
  );
}
