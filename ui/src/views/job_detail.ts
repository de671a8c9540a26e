// One job: its state, placement and attempts, its log streamed live (SSE, follow=true), cancel.
import { html, render } from "lit-html";
import { ApiError, get, post, type Job } from "../api";
import { onJobEvent } from "../events";
import { TERMINAL, age, command, duration, localTime } from "../format";
import { LogView } from "../log_view";
import type { View } from "../view";
import { stateBadge, viewReady } from "./widgets";

const TAIL_LINES = 5000;

export const jobDetailView: View = (el, params) => {
  const id = Number(params.id);
  let job: Job | null = null;
  let error = "";
  let logStatus = "connecting…";
  let replica = 0;
  let ready = false;
  let stream: EventSource | null = null;
  const log = new LogView();

  const openLog = () => {
    stream?.close();
    log.clear();
    logStatus = "connecting…";
    const es = new EventSource(`/api/v1/jobs/${id}/logs?follow=true&replica=${replica}&tail=${TAIL_LINES}`, {
      withCredentials: true,
    });
    stream = es;
    es.onopen = () => {
      logStatus = "following";
      draw();
    };
    es.addEventListener("log", (m) => log.append((m as MessageEvent).data));
    es.addEventListener("end", (m) => {
      const end = JSON.parse((m as MessageEvent).data) as { state: string; exit_code: number | null };
      logStatus = `ended: ${end.state}${end.exit_code !== null ? ` (exit ${end.exit_code})` : ""}`;
      es.close();
      draw();
    });
    es.onerror = () => {
      // Not reconnected automatically: a reconnect would replay the tail into the view twice.
      if (es.readyState !== EventSource.CLOSED) es.close();
      if (!logStatus.startsWith("ended")) logStatus = "log stream closed";
      draw();
    };
  };

  const load = async () => {
    try {
      const first = job === null;
      job = await get<Job>(`/jobs/${id}`);
      error = "";
      if (first) openLog();
    } catch (e) {
      error = e instanceof ApiError && e.status === 404 ? `Job ${id} not found.` : String((e as Error).message);
    }
    draw();
    if (!ready) viewReady("job");
    ready = true;
  };

  const cancel = async () => {
    if (!job || !confirm(`Cancel job ${job.id} (${job.name})?`)) return;
    try {
      job = await post<Job>(`/jobs/${id}/cancel`);
    } catch (e) {
      error = String((e as Error).message);
    }
    draw();
  };

  const stopEvents = onJobEvent((ev) => {
    if (ev.job === id) void load();
  });

  const draw = () => {
    const j = job;
    render(
      html`<p class="crumbs"><a href="/jobs">Jobs</a> / ${id}</p>
        ${error ? html`<p class="error">${error}</p>` : ""}
        ${j
          ? html`<div class="title-row">
                <h1>${j.name || `job ${j.id}`} <small class="muted">#${j.id}</small></h1>
                <span data-testid="job-state">${stateBadge(j.state)}</span>
                ${TERMINAL.has(j.state)
                  ? ""
                  : html`<button class="danger" data-testid="cancel" @click=${cancel}>Cancel</button>`}
              </div>
              <dl class="facts">
                <dt>Owner</dt><dd>${j.owner}</dd>
                <dt>Command</dt><dd><code>${command(j.spec)}</code></dd>
                <dt>Queue / priority</dt><dd>${j.spec.queue} / ${j.spec.priority}</dd>
                <dt>Resources</dt><dd>${j.spec.replicas} × (${j.spec.resources.gpus} GPU, ${j.spec.resources.cpus} CPU${j.spec.resources.memory_mb ? `, ${j.spec.resources.memory_mb} MB` : ""})</dd>
                <dt>Submitted</dt><dd>${localTime(j.submitted_at)} (${age(j.submitted_at)} ago)</dd>
                <dt>Ran</dt><dd>${duration(j.started_at, j.ended_at) || "—"}</dd>
                <dt>Reason</dt><dd data-testid="job-reason">${j.reason || "—"}${j.exit_code !== null ? ` (exit ${j.exit_code})` : ""}</dd>
                <dt>Placement</dt><dd>${j.placement.length ? j.placement.map((p) => `replica ${p.replica}: ${p.node} GPUs [${p.gpus.join(",")}]`).join("; ") : "—"}</dd>
                ${j.parent ? html`<dt>Made by</dt><dd><a href="/${j.parent.kind}s/${j.parent.id}">${j.parent.kind} ${j.parent.id}</a> (${j.parent.key})</dd>` : ""}
              </dl>
              ${j.attempts.length > 1
                ? html`<h2>Attempts</h2>
                    <table class="grid">
                      <thead><tr><th>#</th><th>Started</th><th>Ran</th><th>Exit</th><th>End reason</th></tr></thead>
                      <tbody>${j.attempts.map((a) => html`<tr><td>${a.number}</td><td>${localTime(a.started_at)}</td><td>${duration(a.started_at, a.ended_at)}</td><td>${a.exit_code ?? ""}</td><td>${a.end_reason}</td></tr>`)}</tbody>
                    </table>`
                : ""}
              <div class="title-row">
                <h2>Log</h2>
                ${j.spec.replicas > 1
                  ? html`<select
                      @change=${(e: Event) => {
                        replica = Number((e.target as HTMLSelectElement).value);
                        openLog();
                      }}
                    >
                      ${Array.from({ length: j.spec.replicas }, (_, i) => html`<option value=${i} ?selected=${i === replica}>replica ${i}</option>`)}
                    </select>`
                  : ""}
                <span class="muted" data-testid="log-status">${logStatus}</span>
                <a href="/api/v1/jobs/${id}/logs?replica=${replica}" target="_blank">raw</a>
              </div>
              <div class="log-host"></div>`
          : error
            ? ""
            : html`<p class="muted">loading…</p>`}`,
      el,
    );
    const host = el.querySelector(".log-host");
    if (host && log.root.parentElement !== host) host.appendChild(log.root);
  };

  void load();
  return () => {
    stopEvents();
    stream?.close();
  };
};
