// ECharts, loaded only by the views that draw charts (its own chunk), with just the chart types used.
import * as echarts from "echarts/core";
import { LineChart, ParallelChart, ScatterChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  LineChart,
  ParallelChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type Chart = echarts.ECharts;
export type ChartOption = echarts.EChartsCoreOption;

export function chartIn(el: HTMLElement): Chart {
  return echarts.getInstanceByDom(el) ?? echarts.init(el, undefined, { renderer: "canvas" });
}

export function disposeIn(el: HTMLElement): void {
  echarts.getInstanceByDom(el)?.dispose();
}
