// Jobs list: one page at a time from the API's cursor paging (never the whole history), filters in
// the URL, rows refreshed from the event stream.
import { html, render } from "lit-html";
import { get, type Job, type JobPage } from "../api";
import { debounce, onJobEvent } from "../events";
import { age, command, duration } from "../format";
import type { View } from "../view";
import { isAdmin, stateBadge, viewReady } from "./widgets";

const PAGE = 50;
const STATES = ["", "pending,starting,running", "pending", "running", "succeeded", "failed", "cancelled"];
const STATE_LABEL: Record<string, string> = { "": "all states", "pending,starting,running": "active" };

export const jobsView: View = (el) => {
  const q = new URLSearchParams(location.search);
  const filter = { state: q.get("state") ?? "", name: q.get("name") ?? "", queue: q.get("queue") ?? "", owner: q.get("owner") ?? "" };
  let cursors: string[] = []; // cursors of the pages before the current one ("" = first page)
  let cursor = q.get("cursor") ?? "";
  let page: JobPage | null = null;
  let error = "";
  let loading = false;
  let seq = 0;

  const query = (c: string) => {
    const p = new URLSearchParams({ limit: String(PAGE) });
    if (filter.state) p.set("state", filter.state);
    if (filter.name) p.set("name", filter.name);
    if (filter.queue) p.set("queue", filter.queue);
    if (filter.owner) p.set("owner", filter.owner);
    if (c) p.set("cursor", c);
    return p;
  };

  const load = async () => {
    const mine = ++seq;
    loading = true;
    draw();
    try {
      const p = await get<JobPage>("/jobs?" + query(cursor).toString());
      if (mine !== seq) return;
      page = p;
      error = "";
    } catch (e) {
      if (mine !== seq) return;
      error = String((e as Error).message);
    }
    loading = false;
    const url = query(cursor);
    url.delete("limit");
    history.replaceState(history.state, "", "/jobs" + (url.toString() ? "?" + url.toString() : ""));
    draw();
    if (mine === 1) viewReady("jobs");
  };

  const refreshPage = debounce(() => void load(), 500);

  const refreshJob = async (id: number) => {
    try {
      const j = await get<Job>(`/jobs/${id}`);
      if (!page) return;
      const i = page.jobs.findIndex((x) => x.id === id);
      if (i >= 0) {
        page.jobs[i] = j;
        draw();
      }
    } catch {
      /* gone or not ours: the next page load settles it */
    }
  };

  const stop = onJobEvent((ev) => {
    if (!page) return;
    if (page.jobs.some((j) => j.id === ev.job)) {
      // A job leaving the filtered set (e.g. pending -> running) needs the page, else the row.
      if (filter.state) refreshPage();
      else void refreshJob(ev.job);
    } else if (cursor === "" && ev.type === "submitted") {
      refreshPage();
    }
  });

  const onFilter = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    filter.state = String(data.get("state") ?? "");
    filter.name = String(data.get("name") ?? "").trim();
    filter.queue = String(data.get("queue") ?? "").trim();
    filter.owner = String(data.get("owner") ?? "").trim();
    cursors = [];
    cursor = "";
    void load();
  };

  const row = (j: Job) => html`<tr data-job=${j.id}>
    <td class="num"><a href="/jobs/${j.id}">${j.id}</a></td>
    <td><a href="/jobs/${j.id}">${j.name || "—"}</a>${j.parent ? html` <small class="muted">${j.parent.kind} ${j.parent.id}</small>` : ""}</td>
    ${isAdmin() ? html`<td>${j.owner}</td>` : ""}
    <td>${stateBadge(j.state)}</td>
    <td>${j.spec.queue}</td>
    <td class="num">${j.spec.resources.gpus * j.spec.replicas}</td>
    <td class="cmd" title=${command(j.spec)}>${command(j.spec)}</td>
    <td title=${j.submitted_at}>${age(j.submitted_at)} ago</td>
    <td>${duration(j.started_at, j.ended_at)}</td>
    <td class="reason">${j.exit_code !== null ? `exit ${j.exit_code}` : ""} ${j.reason}</td>
  </tr>`;

  const draw = () =>
    render(
      html`<h1>Jobs</h1>
        <form class="filters" @submit=${onFilter} data-testid="job-filters">
          <select name="state">
            ${STATES.map((s) => html`<option value=${s} ?selected=${s === filter.state}>${STATE_LABEL[s] ?? s}</option>`)}
          </select>
          <input name="name" placeholder="name" .value=${filter.name} />
          <input name="queue" placeholder="queue" .value=${filter.queue} />
          ${isAdmin() ? html`<input name="owner" placeholder="owner" .value=${filter.owner} />` : ""}
          <button type="submit">Filter</button>
          ${loading ? html`<span class="muted">loading…</span>` : ""}
        </form>
        ${error ? html`<p class="error">${error}</p>` : ""}
        <table class="grid" data-testid="jobs-table">
          <thead>
            <tr><th>ID</th><th>Name</th>${isAdmin() ? html`<th>Owner</th>` : ""}<th>State</th><th>Queue</th><th>GPUs</th><th>Command</th><th>Submitted</th><th>Ran</th><th>Reason</th></tr>
          </thead>
          <tbody>
            ${page?.jobs.map(row)}
          </tbody>
        </table>
        ${page && page.jobs.length === 0 ? html`<p class="muted">No jobs.</p>` : ""}
        <div class="pager">
          <button
            ?disabled=${cursors.length === 0}
            @click=${() => {
              cursor = cursors.pop() ?? "";
              void load();
            }}
          >
            ← Newer
          </button>
          <span class="muted">page ${cursors.length + 1}</span>
          <button
            ?disabled=${!page?.next_cursor}
            @click=${() => {
              cursors.push(cursor);
              cursor = page!.next_cursor!;
              void load();
            }}
          >
            Older →
          </button>
        </div>`,
      el,
    );

  void load();
  return stop;
};
