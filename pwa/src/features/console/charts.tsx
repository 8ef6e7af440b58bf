/**
 * ECharts, imported piece by piece (core + the line and bar charts the overview draws), and a Preact
 * wrapper that owns one chart instance per element.
 */
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'preact/hooks';

// The map's geo component and scatter series are registered by the risk map page (its own chunk).
echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export { echarts };
export type ChartOption = Parameters<echarts.ECharts['setOption']>[0];

export function Chart(props: {
  option: ChartOption;
  height?: string;
  testid?: string;
  label: string;
  /** Called after each setOption with the instance (the risk map lays its tiles out from it). */
  onReady?: (chart: echarts.ECharts) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!el.current) return undefined;
    const instance = echarts.init(el.current, null, { renderer: 'canvas', locale: 'ZH' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(el.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    if (!chart.current) return;
    chart.current.setOption(props.option, { notMerge: true });
    props.onReady?.(chart.current);
  }, [props.option]);
  return <div ref={el} class="chart" style={{ height: props.height ?? '18rem' }} data-testid={props.testid}
    role="img" aria-label={props.label} />;
}
