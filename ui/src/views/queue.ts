// Queues with their guarantees and use, and the pending jobs with why they wait (the scheduler's
// reason, which names a reservation when one is held for the job).
import { html, render } from "lit-html";
import { get, type Job, type JobPage, type Queue } from "../api";
import { debounce, onJobEvent } from "../events";
import { age, command } from "../format";
import type { View } from "../view";
import { stateBadge, viewReady } from "./widgets";

const PENDING_SHOWN = 200;

export const queueView: View = (el) => {
  let queues: Queue[] = [];
  let pending: JobPage | null = null;
  let error = "";
  let ready = false;

  const load = async () => {
    try {
      const [q, p] = await Promise.all([
        get<{ queues: Queue[] }>("/queues"),
        get<JobPage>(`/jobs?state=pending,starting&limit=${PENDING_SHOWN}`),
      ]);
      queues = q.queues;
      pending = p;
      error = "";
    } catch (e) {
      error = String((e as Error).message);
    }
    draw();
    if (!ready) viewReady("queue");
    ready = true;
  };
  const refresh = debounce(() => void load(), 1000);
  const stop = onJobEvent(() => refresh());

  const bar = (q: Queue) => {
    const cap = q.max_gpus >= 0 ? q.max_gpus : Math.max(q.guaranteed_gpus, q.gpus_in_use, 1);
    const pct = (v: number) => `${Math.min(100, (100 * v) / Math.max(cap, 1))}%`;
    return html`<div class="bar" title="${q.gpus_in_use} in use of ${q.max_gpus >= 0 ? q.max_gpus : "unlimited"}; ${q.guaranteed_gpus} guaranteed">
      <div class="bar-use" .style=${`width:${pct(q.gpus_in_use)}`}></div>
      <div class="bar-guarantee" .style=${`left:${pct(q.guaranteed_gpus)}`}></div>
    </div>`;
  };

  // The scheduler holds GPUs for the job at the head of the line; its reason says until when.
  const reservations = (): [Job, string][] =>
    (pending?.jobs ?? []).flatMap((j) => {
      const m = /reserved for ([^;]+)/.exec(j.reason);
      return m ? [[j, m[1].trim()] as [Job, string]] : [];
    });

  const draw = () =>
    render(
      html`<h1>Queue</h1>
        ${error ? html`<p class="error">${error}</p>` : ""}
        <table class="grid" data-testid="queues-table">
          <thead><tr><th>Queue</th><th>Guaranteed</th><th>Max</th><th>Weight</th><th>In use</th><th>Borrowed</th><th></th><th>Running</th><th>Pending</th></tr></thead>
          <tbody>
            ${queues.map(
              (q) => html`<tr>
                <td><a href="/jobs?queue=${encodeURIComponent(q.name)}">${q.name}</a>${q.configured ? "" : html` <small class="muted">(not configured)</small>`}</td>
                <td class="num">${q.guaranteed_gpus}</td>
                <td class="num">${q.max_gpus >= 0 ? q.max_gpus : "∞"}</td>
                <td class="num">${q.weight}</td>
                <td class="num">${q.gpus_in_use}</td>
                <td class="num">${q.borrowed_gpus}</td>
                <td class="barcell">${bar(q)}</td>
                <td class="num">${q.running_jobs}</td>
                <td class="num">${q.pending_jobs}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${reservations().length
          ? html`<h2>Reservations</h2>
              <table class="grid" data-testid="reservations-table">
                <thead><tr><th>ID</th><th>Name</th><th>Queue</th><th>GPUs</th><th>Reserved for</th></tr></thead>
                <tbody>
                  ${reservations().map(
                    ([j, when]) => html`<tr data-job=${j.id}>
                      <td class="num"><a href="/jobs/${j.id}">${j.id}</a></td>
                      <td>${j.name}</td>
                      <td>${j.spec.queue}</td>
                      <td class="num">${j.spec.replicas} × ${j.spec.resources.gpus}</td>
                      <td>${when}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
          : ""}
        <h2>Pending jobs</h2>
        <table class="grid" data-testid="pending-table">
          <thead><tr><th>ID</th><th>Name</th><th>State</th><th>Queue</th><th>Priority</th><th>GPUs</th><th>Command</th><th>Waiting</th><th>Why</th></tr></thead>
          <tbody>
            ${pending?.jobs.map(
              (j) => html`<tr data-job=${j.id}>
                <td class="num"><a href="/jobs/${j.id}">${j.id}</a></td>
                <td>${j.name}</td>
                <td>${stateBadge(j.state)}</td>
                <td>${j.spec.queue}</td>
                <td>${j.spec.priority}</td>
                <td class="num">${j.spec.replicas} × ${j.spec.resources.gpus}</td>
                <td class="cmd">${command(j.spec)}</td>
                <td>${age(j.submitted_at)}</td>
                <td class="reason">${j.reason || "—"}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${pending && pending.jobs.length === 0 ? html`<p class="muted">Nothing is waiting.</p>` : ""}
        ${pending?.next_cursor ? html`<p class="muted">Showing the newest ${PENDING_SHOWN}; <a href="/jobs?state=pending">all pending jobs</a>.</p>` : ""}`,
      el,
    );

  void load();
  return stop;
};
