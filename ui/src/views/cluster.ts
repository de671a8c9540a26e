// Every GPU of every node: free or busy, whose job holds it, utilisation when the node reports it.
import { html, render } from "lit-html";
import { get, type Gpu, type Node } from "../api";
import { debounce, onJobEvent } from "../events";
import type { View } from "../view";
import { currentUser, viewReady } from "./widgets";

export const clusterView: View = (el) => {
  let nodes: Node[] | null = null;
  let error = "";
  let filter = "";
  let busyOnly = false;
  let ready = false;
  // Nodes are drawn a batch at a time as the list scrolls into view: 1,000 nodes of 8 GPUs are
  // 8,000 cells, too many to lay out before the first paint.
  const BATCH = 96;
  let drawn = BATCH;
  const more = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) {
      drawn += BATCH * 2;
      draw();
    }
  });

  const load = async () => {
    try {
      nodes = (await get<{ nodes: Node[] }>("/nodes")).nodes;
      error = "";
    } catch (e) {
      error = String((e as Error).message);
    }
    draw();
    if (!ready) viewReady("cluster");
    ready = true;
  };
  const refresh = debounce(() => void load(), 1000);
  const stop = onJobEvent((ev) => {
    if (["started", "succeeded", "failed", "cancelled", "preempted", "scheduled"].includes(ev.type)) refresh();
  });

  const me = currentUser();
  const gpuCell = (n: Node, g: Gpu) => {
    const mine = g.user !== null && g.user === me;
    const cls = g.user === null ? "gpu free" : mine ? "gpu mine" : "gpu busy";
    const util = g.utilization_pct ?? null;
    const mem = g.memory_used_mb ?? null;
    // Simulated GPUs have no hardware: their figure is a stand-in (100 while held), marked "sim".
    const title = `${n.name} GPU ${g.index} · ${g.model} · ${Math.round(g.memory_mb / 1024)} GiB` +
      (g.user ? ` · ${g.user}${g.job !== null ? ` job ${g.job}` : ""}` : " · free") +
      (util !== null ? ` · ${util}% util${g.simulated ? " (simulated GPU, not measured)" : ""}` : "") +
      (mem !== null && !g.simulated ? ` · ${(mem / 1024).toFixed(1)} GiB used` : "") +
      (g.sampled_at ? ` · sampled ${g.sampled_at}` : "");
    return html`<div class=${cls} title=${title} data-gpu="${n.name}/${g.index}">
      <span class="gpu-idx">${g.index}</span>
      ${g.user
        ? g.job !== null
          ? html`<a href="/jobs/${g.job}">${g.user} #${g.job}</a>`
          : html`<span>${g.user}</span>`
        : html`<span class="muted">free</span>`}
      ${util !== null && (!g.simulated || g.user !== null)
        ? html`<span class=${g.simulated ? "util sim" : "util"} data-testid="util">${util}%${g.simulated ? " sim" : ""}</span>`
        : ""}
      ${mem !== null && !g.simulated
        ? html`<span class="mem" data-testid="mem">${(mem / 1024).toFixed(1)}/${Math.round(g.memory_mb / 1024)} GiB</span>`
        : ""}
    </div>`;
  };

  const draw = () => {
    const all = nodes ?? [];
    const gpus = all.reduce((a, n) => a + n.gpus.length, 0);
    const used = all.reduce((a, n) => a + n.gpus.filter((g) => g.user !== null).length, 0);
    const mine = all.reduce((a, n) => a + n.gpus.filter((g) => g.user === me).length, 0);
    const shown = all.filter(
      (n) => (!filter || n.name.includes(filter)) && (!busyOnly || n.gpus.some((g) => g.user !== null)),
    );
    render(
      html`<h1>Cluster</h1>
        ${error ? html`<p class="error">${error}</p>` : ""}
        <p class="summary" data-testid="cluster-summary">
          ${all.length} nodes · ${gpus} GPUs · <b>${used}</b> in use (${mine} yours) · <b>${gpus - used}</b> free
        </p>
        <div class="filters">
          <input placeholder="node name" .value=${filter} @input=${(e: Event) => ((filter = (e.target as HTMLInputElement).value), (drawn = BATCH), draw())} />
          <label><input type="checkbox" .checked=${busyOnly} @change=${(e: Event) => ((busyOnly = (e.target as HTMLInputElement).checked), (drawn = BATCH), draw())} /> busy nodes only</label>
          <span class="muted">${shown.length < all.length ? `${shown.length} of ${all.length} nodes match` : ""}</span>
        </div>
        <div class="nodes" data-testid="nodes">
          ${shown.slice(0, drawn).map(
            (n) => html`<section class="node">
              <header><b>${n.name}</b> <small class="muted">${n.cpus} CPU · ${Math.round(n.memory_mb / 1024)} GiB${n.simulated ? " · simulated" : ""}</small></header>
              <div class="gpus">${n.gpus.length ? n.gpus.map((g) => gpuCell(n, g)) : html`<span class="muted">no GPUs</span>`}</div>
            </section>`,
          )}
        </div>
        ${drawn < shown.length ? html`<p class="more muted">${shown.length - drawn} more nodes…</p>` : ""}`,
      el,
    );
    more.disconnect();
    const sentinel = el.querySelector(".more");
    if (sentinel) more.observe(sentinel);
  };

  void load();
  return () => {
    stop();
    more.disconnect();
  };
};
