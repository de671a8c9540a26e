// The logged-in user's notebooks: start one on the GPUs asked for (after seeing how many are
// free), open it through the server's /nb/<id>/ proxy, stop it.
import { html, render } from "lit-html";
import { ApiError, get, post, type Node, type Notebook } from "../api";
import { onJobEvent } from "../events";
import { age, duration } from "../format";
import type { View } from "../view";
import { stateBadge, viewReady } from "./widgets";

const TRANSITIONAL = new Set(["starting", "stopping"]);

/** Free GPUs per node, as `corral notebook start` prints them: only up nodes, only unheld GPUs. */
export function freeGpus(nodes: Node[]): { free: number; total: number; largest: number; perNode: [string, number][] } {
  let free = 0;
  let total = 0;
  let largest = 0;
  const perNode: [string, number][] = [];
  for (const n of nodes) {
    total += n.gpus.length;
    if (n.up === false) continue;
    const f = n.gpus.filter((g) => g.user === null).length;
    free += f;
    largest = Math.max(largest, f);
    if (f > 0) perNode.push([n.name, f]);
  }
  return { free, total, largest, perNode };
}

export const notebooksView: View = (el) => {
  let notebooks: Notebook[] | null = null;
  let capacity: ReturnType<typeof freeGpus> | null = null;
  let capacityKnown = false;
  let environments: string[] = [];
  let showEnded = false;
  let error = "";
  let formError = "";
  let busy = false;
  let ready = false;
  let timer: number | undefined;
  let stopped = false;

  const loadCapacity = async () => {
    try {
      capacity = freeGpus((await get<{ nodes: Node[] }>("/nodes")).nodes);
    } catch {
      capacity = null;
    }
  };

  const load = async () => {
    try {
      notebooks = (await get<{ notebooks: Notebook[] }>(`/notebooks${showEnded ? "?ended=1" : ""}`)).notebooks;
      error = "";
    } catch (e) {
      error =
        e instanceof ApiError && e.status === 404 ? "This server does not run notebooks." : String((e as Error).message);
    }
    draw();
    if (!ready) viewReady("notebooks");
    ready = true;
    schedule();
  };

  // Readiness comes from the server's probe of Jupyter, not from a job event: while a notebook is
  // starting or stopping the list is re-read every second, otherwise every 15 s (last activity).
  const schedule = () => {
    window.clearTimeout(timer);
    if (stopped) return;
    const soon = notebooks?.some((n) => TRANSITIONAL.has(n.state));
    timer = window.setTimeout(() => void load(), soon ? 1000 : 15000);
  };
  // The notebook's job starting, ending or being preempted moves its state.
  const unsubscribe = onJobEvent((ev) => {
    if (notebooks?.some((n) => n.job === ev.job)) {
      void load();
      void loadCapacity().then(draw);
    }
  });

  const start = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const body: Record<string, unknown> = { gpus: Number(form.get("gpus") ?? 0) };
    const name = String(form.get("name") ?? "").trim();
    if (name) body.name = name;
    const env = String(form.get("environment") ?? "");
    if (env) body.environment = env;
    const idle = String(form.get("idle") ?? "").trim();
    if (idle) body.idle_timeout_s = Number(idle) * 60;
    busy = true;
    formError = "";
    draw();
    try {
      await post<Notebook>("/notebooks", body);
      (e.target as HTMLFormElement).reset();
    } catch (err) {
      formError = err instanceof ApiError && err.field ? `${err.field}: ${err.message}` : String((err as Error).message);
    }
    busy = false;
    await Promise.all([load(), loadCapacity()]);
    draw();
  };

  const stopNotebook = async (n: Notebook) => {
    if (!confirm(`Stop notebook ${n.name}? Its kernels end.`)) return;
    try {
      await post(`/notebooks/${n.id}/stop`);
    } catch (err) {
      error = String((err as Error).message);
    }
    await load();
  };

  const capacityLine = () =>
    capacity
      ? html`<span data-testid="free-gpus"><b>${capacity.free}</b> of ${capacity.total} GPUs free${capacity.perNode.length
          ? ` (${capacity.perNode
              .slice(0, 6)
              .map(([n, f]) => `${n}: ${f}`)
              .join(", ")}${capacity.perNode.length > 6 ? ", …" : ""})`
          : ""}</span>`
      : html`<span class="muted">${capacityKnown ? "free GPUs unknown" : "counting free GPUs…"}</span>`;

  const row = (n: Notebook) => html`<tr data-notebook=${n.id}>
    <td><b>${n.name}</b></td>
    <td>${stateBadge(n.state)}${n.message ? html` <small class="reason">${n.message}</small>` : ""}</td>
    <td class="num">${n.gpus}</td>
    <td>${n.node || "—"}</td>
    <td>${n.job !== null ? html`<a href="/jobs/${n.job}">${n.job}</a>` : "—"}</td>
    <td>${n.last_activity ? `${age(n.last_activity)} ago` : "—"}</td>
    <td>${duration(n.created_at, n.ended_at)}</td>
    <td class="actions">
      ${n.state === "ready"
        ? html`<a class="button" href=${n.path} target="_blank" rel="noopener" data-testid="open">Open</a>`
        : ""}
      ${TRANSITIONAL.has(n.state) || n.state === "ready"
        ? n.state !== "stopping"
          ? html`<button class="danger" data-testid="stop" @click=${() => stopNotebook(n)}>Stop</button>`
          : ""
        : ""}
    </td>
  </tr>`;

  const draw = () =>
    render(
      html`<h1>Notebooks</h1>
        ${error ? html`<p class="error">${error}</p>` : ""}
        <form class="card start-form" data-testid="notebook-form" @submit=${start}>
          <label>Name <input name="name" placeholder="lab" /></label>
          <label
            >GPUs
            <select name="gpus" data-testid="gpus">
              ${Array.from({ length: Math.max(capacity?.largest ?? 0, 1) + 1 }, (_, i) => i).map(
                (i) => html`<option value=${i} ?selected=${i === Math.min(1, capacity?.largest ?? 0)}>${i}</option>`,
              )}
            </select></label
          >
          ${environments.length
            ? html`<label
                >Environment
                <select name="environment">
                  <option value="">system</option>
                  ${environments.map((e) => html`<option value=${e}>${e}</option>`)}
                </select></label
              >`
            : ""}
          <label>Idle stop after <input name="idle" type="number" min="1" placeholder="60" class="short" /> min</label>
          <button type="submit" ?disabled=${busy} data-testid="start">${busy ? "Starting…" : "Start"}</button>
          <span class="muted">${capacityLine()}</span>
          ${formError ? html`<p class="error" role="alert">${formError}</p>` : ""}
        </form>
        <div class="filters">
          <label><input type="checkbox" .checked=${showEnded} @change=${(e: Event) => ((showEnded = (e.target as HTMLInputElement).checked), void load())} /> show ended</label>
        </div>
        <table class="grid" data-testid="notebooks-table">
          <thead><tr><th>Name</th><th>State</th><th>GPUs</th><th>Node</th><th>Job</th><th>Last activity</th><th>Age</th><th></th></tr></thead>
          <tbody>${notebooks?.map(row)}</tbody>
        </table>
        ${notebooks && notebooks.length === 0 ? html`<p class="muted">No notebooks running.</p>` : ""}`,
      el,
    );

  // The list first (the view is ready with it); free GPUs and environments fill in as they come.
  const loadEnvironments = async () => {
    try {
      const list = (await get<{ environments: Record<string, string> | { name: string }[] }>("/environments")).environments;
      environments = Array.isArray(list) ? list.map((x) => x.name) : Object.keys(list ?? {});
    } catch {
      environments = [];
    }
  };
  void load();
  void Promise.all([loadCapacity(), loadEnvironments()]).then(() => {
    capacityKnown = true;
    draw();
  });
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    unsubscribe();
  };
};
