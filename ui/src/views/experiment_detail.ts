// One experiment: trials table, parallel coordinates of parameters against the objective, the
// best-so-far curve, each trial's objective metric over its steps, stop and resume.
import { html, render } from "lit-html";
import { ApiError, get, post, type Experiment, type MetricSeries, type Trial } from "../api";
import { debounce, onJobEvent } from "../events";
import { age, localTime, num } from "../format";
import type { View } from "../view";
import { stateBadge, viewReady } from "./widgets";

const CURVES_MAX = 40; // per-trial curves drawn (the most recent trials)
const DONE = new Set(["succeeded", "failed", "pruned", "cancelled"]);

export const experimentDetailView: View = (el, params) => {
  const id = Number(params.id);
  let exp: Experiment | null = null;
  let trials: Trial[] = [];
  const series = new Map<number, MetricSeries>();
  const seriesFinal = new Set<number>();
  let error = "";
  let busy = false;
  let ready = false;
  let curveMetric = ""; // the metric the per-trial curves show; "" = the objective
  let disposed = false;
  let charts: typeof import("../charts") | null = null;

  const load = async () => {
    try {
      const [e, t] = await Promise.all([
        get<Experiment>(`/experiments/${id}`),
        get<{ trials: Trial[] }>(`/experiments/${id}/trials`),
      ]);
      exp = e;
      trials = t.trials;
      error = "";
      const recent = [...trials].sort((a, b) => b.number - a.number).slice(0, CURVES_MAX);
      await Promise.all(
        recent
          .filter((tr) => !seriesFinal.has(tr.number))
          .map(async (tr) => {
            // Every metric of the trial (the objective and any additional ones).
            const m = await get<{ metrics: MetricSeries }>(`/experiments/${id}/trials/${tr.number}/metrics`);
            series.set(tr.number, m.metrics);
            if (DONE.has(tr.state)) seriesFinal.add(tr.number);
          }),
      );
    } catch (e) {
      error = e instanceof ApiError && e.status === 404 ? `Experiment ${id} not found.` : String((e as Error).message);
    }
    if (disposed) return;
    draw();
    if (!ready) viewReady("experiment");
    ready = true;
    void drawCharts();
  };
  const refresh = debounce(() => void load(), 1000);
  const stop = onJobEvent(() => {
    if (exp && exp.state === "running") refresh();
  });

  const act = async (what: "stop" | "resume") => {
    busy = true;
    draw();
    try {
      await post(`/experiments/${id}/${what}`);
    } catch (e) {
      error = String((e as Error).message);
    }
    busy = false;
    await load();
  };

  const drawCharts = async () => {
    if (!exp) return;
    charts ??= await import("../charts");
    if (disposed) return;
    const e = exp;
    const metric = e.objective.metric;
    const minimize = e.objective.direction === "minimize";
    const done = trials.filter((t) => t.objective !== null).sort((a, b) => a.number - b.number);

    // Parallel coordinates: one axis per parameter, the objective last.
    const names = Array.from(new Set(trials.flatMap((t) => Object.keys(t.params)))).sort();
    const categorical = new Map<string, string[]>();
    for (const n of names) {
      const values = trials.map((t) => t.params[n]).filter((v) => v !== undefined);
      if (values.some((v) => typeof v === "string")) categorical.set(n, Array.from(new Set(values.map(String))).sort());
    }
    const pcEl = el.querySelector<HTMLElement>("#chart-parallel");
    if (pcEl) {
      const objs = done.map((t) => t.objective as number);
      charts.chartIn(pcEl).setOption(
        {
          animation: false,
          tooltip: { trigger: "item" },
          parallelAxis: [
            ...names.map((n, i) =>
              categorical.has(n) ? { dim: i, name: n, type: "category", data: categorical.get(n) } : { dim: i, name: n },
            ),
            { dim: names.length, name: metric, nameTextStyle: { fontWeight: "bold" } },
          ],
          parallel: { left: 40, right: 120, top: 40, bottom: 30 },
          visualMap: objs.length
            ? {
                show: true,
                dimension: names.length,
                min: Math.min(...objs),
                max: Math.max(...objs),
                inRange: { color: minimize ? ["#1a9850", "#fee08b", "#d73027"] : ["#d73027", "#fee08b", "#1a9850"] },
                right: 0,
                top: "middle",
                itemHeight: 120,
                calculable: true,
                formatter: (v: number) => num(v, 3),
              }
            : undefined,
          series: [
            {
              type: "parallel",
              lineStyle: { width: 2, opacity: 0.7 },
              data: done.map((t) => [...names.map((n) => t.params[n]), t.objective]),
            },
          ],
        },
        true,
      );
    }

    // Best so far, against trial number, over each trial's objective.
    const bsEl = el.querySelector<HTMLElement>("#chart-best");
    if (bsEl) {
      let best: number | null = null;
      const bestLine = done.map((t) => {
        const v = t.objective as number;
        if (best === null || (minimize ? v < best : v > best)) best = v;
        return [t.number, best];
      });
      charts.chartIn(bsEl).setOption(
        {
          animation: false,
          tooltip: { trigger: "axis" },
          legend: { data: ["trial", "best so far"], top: 0 },
          grid: { left: 60, right: 20, top: 40, bottom: 40 },
          xAxis: { type: "value", name: "trial", minInterval: 1 },
          yAxis: { type: "value", name: metric, scale: true },
          series: [
            { name: "trial", type: "scatter", data: done.map((t) => [t.number, t.objective]), symbolSize: 7 },
            { name: "best so far", type: "line", step: "end", data: bestLine, showSymbol: false, lineStyle: { width: 2 } },
          ],
        },
        true,
      );
    }

    // Each recent trial's chosen metric over its steps.
    const shownMetric = curveMetric || metric;
    const curvesEl = el.querySelector<HTMLElement>("#chart-curves");
    if (curvesEl) {
      const shown = [...series.entries()].sort((a, b) => a[0] - b[0]);
      charts.chartIn(curvesEl).setOption(
        {
          animation: false,
          tooltip: { trigger: "item" },
          grid: { left: 60, right: 20, top: 30, bottom: 40 },
          xAxis: { type: "value", name: "step" },
          yAxis: { type: "value", name: shownMetric, scale: true },
          series: shown.map(([n, m]) => ({
            name: `trial ${n}`,
            type: "line",
            showSymbol: false,
            data: (m[shownMetric] ?? []).map((p) => [p.step, p.value]),
          })),
        },
        true,
      );
    }
  };

  const metricNames = () => {
    const all = new Set<string>(exp ? [exp.objective.metric] : []);
    for (const m of series.values()) for (const k of Object.keys(m)) all.add(k);
    return [...all].sort();
  };

  const paramNames = () => Array.from(new Set(trials.flatMap((t) => Object.keys(t.params)))).sort();

  const draw = () => {
    const e = exp;
    const names = paramNames();
    render(
      html`<p class="crumbs"><a href="/experiments">Experiments</a> / ${id}</p>
        ${error ? html`<p class="error">${error}</p>` : ""}
        ${e
          ? html`<div class="title-row">
                <h1>${e.name} <small class="muted">#${e.id}</small></h1>
                <span data-testid="experiment-state">${stateBadge(e.state)}</span>
                ${e.state === "running"
                  ? html`<button class="danger" ?disabled=${busy} data-testid="stop" @click=${() => act("stop")}>Stop</button>`
                  : e.state === "stopped"
                    ? html`<button ?disabled=${busy} data-testid="resume" @click=${() => act("resume")}>Resume</button>`
                    : ""}
              </div>
              <dl class="facts">
                <dt>Objective</dt><dd>${e.objective.direction} <b>${e.objective.metric}</b>${e.objective.goal !== null ? ` (goal ${e.objective.goal})` : ""}</dd>
                <dt>Search</dt><dd>${e.algorithm}, early stopping ${e.early_stopping}, ${e.parallelTrialCount} in parallel</dd>
                <dt>Trials</dt><dd>${e.trials.total} of ${e.maxTrialCount}: ${Object.entries(e.trials).filter(([k, v]) => k !== "total" && v > 0).map(([k, v]) => `${v} ${k}`).join(", ") || "none yet"}</dd>
                <dt>Best</dt><dd data-testid="best">${e.best ? html`${num(e.best.objective)} (trial ${e.best.number}: ${Object.entries(e.best.params).map(([k, v]) => `${k}=${typeof v === "number" ? num(v) : v}`).join(", ")})` : "—"}</dd>
                <dt>Created</dt><dd>${localTime(e.created_at)} (${age(e.created_at)} ago)</dd>
                ${e.message ? html`<dt>Message</dt><dd>${e.message}</dd>` : ""}
              </dl>
              <div class="charts">
                <section><h2>Parameters and ${e.objective.metric}</h2><div id="chart-parallel" class="chart"></div></section>
                <section><h2>Best so far</h2><div id="chart-best" class="chart"></div></section>
                <section>
                  <h2>
                    ${metricNames().length > 1
                      ? html`<select
                          data-testid="curve-metric"
                          @change=${(ev: Event) => {
                            curveMetric = (ev.target as HTMLSelectElement).value;
                            void drawCharts();
                          }}
                        >
                          ${metricNames().map((n) => html`<option value=${n} ?selected=${n === (curveMetric || e.objective.metric)}>${n}</option>`)}
                        </select>`
                      : e.objective.metric}
                    per trial
                  </h2>
                  <div id="chart-curves" class="chart"></div>
                </section>
              </div>
              <h2>Trials</h2>
              <table class="grid" data-testid="trials-table">
                <thead><tr><th>Trial</th><th>State</th>${names.map((n) => html`<th>${n}</th>`)}<th>${e.objective.metric}</th><th>Job</th></tr></thead>
                <tbody>
                  ${[...trials].sort((a, b) => b.number - a.number).map(
                    (t) => html`<tr class=${e.best && e.best.number === t.number ? "best" : ""}>
                      <td class="num">${t.number}</td>
                      <td>${stateBadge(t.state)}</td>
                      ${names.map((n) => html`<td class="num">${typeof t.params[n] === "number" ? num(t.params[n] as number) : t.params[n] ?? ""}</td>`)}
                      <td class="num">${num(t.objective)}</td>
                      <td>${t.job !== null ? html`<a href="/jobs/${t.job}">${t.job}</a>` : ""}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
          : error
            ? ""
            : html`<p class="muted">loading…</p>`}`,
      el,
    );
  };

  void load();
  return () => {
    disposed = true;
    stop();
    if (charts) for (const c of el.querySelectorAll<HTMLElement>(".chart")) charts.disposeIn(c);
  };
};
