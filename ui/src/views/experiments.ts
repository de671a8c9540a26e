// Experiments (hyperparameter searches) of the logged-in user, newest first.
import { html, render } from "lit-html";
import { get, type Experiment } from "../api";
import { debounce, onJobEvent } from "../events";
import { age, num } from "../format";
import type { View } from "../view";
import { stateBadge, viewReady } from "./widgets";

export const experimentsView: View = (el) => {
  let experiments: Experiment[] | null = null;
  let error = "";
  let ready = false;

  const load = async () => {
    try {
      experiments = (await get<{ experiments: Experiment[] }>("/experiments")).experiments;
      error = "";
    } catch (e) {
      error = String((e as Error).message);
    }
    draw();
    if (!ready) viewReady("experiments");
    ready = true;
  };
  // Trial jobs' events are the experiments' heartbeat.
  const refresh = debounce(() => void load(), 1000);
  const stop = onJobEvent(() => refresh());

  const draw = () =>
    render(
      html`<h1>Experiments</h1>
        ${error ? html`<p class="error">${error}</p>` : ""}
        <table class="grid" data-testid="experiments-table">
          <thead><tr><th>ID</th><th>Name</th><th>State</th><th>Algorithm</th><th>Objective</th><th>Trials</th><th>Running</th><th>Best</th><th>Age</th></tr></thead>
          <tbody>
            ${experiments?.map(
              (x) => html`<tr>
                <td class="num"><a href="/experiments/${x.id}">${x.id}</a></td>
                <td><a href="/experiments/${x.id}">${x.name}</a></td>
                <td>${stateBadge(x.state)}</td>
                <td>${x.algorithm}</td>
                <td>${x.objective.direction} ${x.objective.metric}</td>
                <td class="num">${x.trials.total} / ${x.maxTrialCount}</td>
                <td class="num">${x.trials.running}</td>
                <td class="num">${x.best ? html`${num(x.best.objective)} <small class="muted">(trial ${x.best.number})</small>` : "—"}</td>
                <td>${age(x.created_at)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${experiments && experiments.length === 0 ? html`<p class="muted">No experiments yet: <code>corral tune submit SPEC.yaml</code>.</p>` : ""}`,
      el,
    );

  void load();
  return stop;
};
