// Workflows of the logged-in user, newest first.
import { html, render } from "lit-html";
import { ApiError, get, type WorkflowSummary } from "../api";
import { debounce, onJobEvent } from "../events";
import { age, duration } from "../format";
import type { View } from "../view";
import { stateBadge, viewReady } from "./widgets";

export const workflowsView: View = (el) => {
  let workflows: WorkflowSummary[] | null = null;
  let error = "";
  let ready = false;

  const load = async () => {
    try {
      workflows = (await get<{ workflows: WorkflowSummary[] }>("/workflows?limit=200")).workflows;
      error = "";
    } catch (e) {
      error =
        e instanceof ApiError && e.status === 404
          ? "This server does not run workflows."
          : String((e as Error).message);
    }
    draw();
    if (!ready) viewReady("workflows");
    ready = true;
  };
  // Workflow steps are jobs: their events say when a workflow moved.
  const refresh = debounce(() => void load(), 1000);
  const stop = onJobEvent(() => refresh());

  const draw = () =>
    render(
      html`<h1>Workflows</h1>
        ${error ? html`<p class="error">${error}</p>` : ""}
        <table class="grid" data-testid="workflows-table">
          <thead><tr><th>ID</th><th>Name</th><th>Phase</th><th>Progress</th><th>Created</th><th>Ran</th><th>Message</th></tr></thead>
          <tbody>
            ${workflows?.map(
              (w) => html`<tr data-workflow=${w.id}>
                <td class="num"><a href="/workflows/${w.id}">${w.id}</a></td>
                <td><a href="/workflows/${w.id}">${w.name}</a></td>
                <td>${stateBadge(w.phase.toLowerCase())}</td>
                <td class="num">${w.progress}</td>
                <td>${age(w.created_at)} ago</td>
                <td>${duration(w.started_at, w.finished_at)}</td>
                <td class="reason">${w.message}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${workflows && workflows.length === 0 ? html`<p class="muted">No workflows yet: <code>corral workflow submit FILE.yaml</code>.</p>` : ""}`,
      el,
    );

  void load();
  return stop;
};
