/** A chart whose library (ECharts) is fetched after the page's numbers are on screen, not before them. */
import { useEffect, useState } from 'preact/hooks';
import type { ChartOption } from './charts';

type ChartComponent = typeof import('./charts').Chart;
let loaded: ChartComponent | null = null;
let loading: Promise<ChartComponent> | null = null;

function loadChart(): Promise<ChartComponent> {
  loading ??= import('./charts').then((m) => (loaded = m.Chart));
  return loading;
}

export function LazyChart(props: { option: ChartOption; height?: string; testid?: string; label: string }) {
  const [Chart, setChart] = useState<ChartComponent | null>(() => loaded);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (Chart) return;
    loadChart().then((c) => setChart(() => c)).catch(() => {
      loading = null;
      setFailed(true);
    });
  }, [Chart]);
  if (Chart) return <Chart {...props} />;
  // Same box as the chart, so nothing jumps when it is drawn.
  return (
    <div class="chart chart-pending" style={{ height: props.height ?? '18rem' }} role="img" aria-label={props.label}
      data-testid={props.testid ? `${props.testid}-pending` : undefined}>
      <span class="muted">{failed ? '图表加载失败，请检查网络后刷新。' : '正在加载图表…'}</span>
    </div>
  );
}
