// One workflow: its node graph laid out by dagre (loaded with this view, not with the page) (phases as colours), click a node for its
// inputs, outputs and log; stop, terminate, suspend, resume, retry, resubmit.
import { html, render, svg } from "lit-html";
import { ApiError, get, getText, post, type Workflow, type WorkflowNode } from "../api";
import { debounce, onJobEvent } from "../events";
import { duration, localTime } from "../format";
import type { View } from "../view";
import { stateBadge, viewReady } from "./widgets";
import { graphEdges } from "../workflow_graph";

const NODE_W = 170;
const NODE_H = 34;
const FINISHED = new Set(["Succeeded", "Failed", "Error"]);

interface Layout {
  width: number;
  height: number;
  nodes: { n: WorkflowNode; x: number; y: number }[];
  edges: { points: { x: number; y: number }[] }[];
}

type Dagre = typeof import("@dagrejs/dagre").default;

function layoutOf(dagre: Dagre, nodes: WorkflowNode[], spec: unknown): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 36, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const [from, to] of graphEdges(nodes, spec)) g.setEdge(from, to);
  dagre.layout(g);
  const graph = g.graph();
  return {
    width: (graph.width ?? 0) + 20,
    height: (graph.height ?? 0) + 20,
    nodes: nodes.map((n) => {
      const p = g.node(n.id);
      return { n, x: p.x, y: p.y };
    }),
    edges: g.edges().map((e) => ({ points: g.edge(e).points ?? [] })),
  };
}

export const workflowDetailView: View = (el, params, navigate) => {
  const id = Number(params.id);
  let wf: Workflow | null = null;
  let layout: Layout | null = null;
  let shape = "";
  let selected: string | null = null;
  let logText = "";
  let error = "";
  let ready = false;

  // Loads overlap (job events, the poll, actions); only the latest one started may land, so a
  // slow older answer never puts an earlier graph back on screen.
  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    try {
      const next = await get<Workflow>(`/workflows/${id}`);
      const dagre = (await import("@dagrejs/dagre")).default;
      if (mine !== generation) return;
      wf = next;
      error = "";
      // Lay out again only when the graph changed (new nodes), not on phase changes.
      const s = next.nodes.map((n) => n.id + ":" + (n.children ?? []).join(",")).join(";");
      if (s !== shape) {
        shape = s;
        layout = layoutOf(dagre, next.nodes, next.spec);
      }
      if (selected) await loadLog();
      if (mine !== generation) return;
    } catch (e) {
      if (mine !== generation) return;
      error = e instanceof ApiError && e.status === 404 ? `Workflow ${id} not found.` : String((e as Error).message);
    }
    draw();
    if (!ready) viewReady("workflow");
    ready = true;
  };

  const loadLog = async () => {
    const node = wf?.nodes.find((n) => n.id === selected);
    if (!node || node.type !== "Pod") {
      logText = "";
      return;
    }
    try {
      logText = await getText(`/workflows/${id}/logs?node=${encodeURIComponent(node.id)}`);
    } catch (e) {
      logText = `(${(e as Error).message})`;
    }
  };

  const select = async (nodeId: string) => {
    selected = nodeId;
    logText = "";
    draw();
    await loadLog();
    draw();
  };

  const act = async (what: string) => {
    try {
      const r = await post<{ id?: number }>(`/workflows/${id}/${what}`);
      if (what === "resubmit" && r?.id) {
        navigate(`/workflows/${r.id}`);
        return;
      }
    } catch (e) {
      error = String((e as Error).message);
    }
    await load();
  };

  const refresh = debounce(() => void load(), 1000);
  const unsubscribe = onJobEvent(() => {
    if (wf && !FINISHED.has(wf.phase)) refresh();
  });
  // Steps' job events drive the updates; a slow poll covers what no job event marks (a step
  // created, suspend and resume, timers) until the run finishes.
  const poll = window.setInterval(() => {
    if (wf && !FINISHED.has(wf.phase)) void load();
  }, 2000);
  const stop = () => {
    unsubscribe();
    window.clearInterval(poll);
  };

  const graph = (l: Layout, current: Map<string, WorkflowNode>) => html`<svg
    class="dag"
    width=${l.width}
    height=${l.height}
    viewBox="0 0 ${l.width} ${l.height}"
    data-testid="dag"
  >
    ${l.edges.map(
      (e) => svg`<polyline class="dag-edge" points=${e.points.map((p) => `${p.x},${p.y}`).join(" ")}></polyline>`,
    )}
    ${l.nodes.map(({ n: laidOut, x, y }) => {
      // The layout keeps positions; phases and messages come from the latest answer.
      const n = current.get(laidOut.id) ?? laidOut;
      return svg`<g class="dag-node phase-${n.phase.toLowerCase()} ${n.id === selected ? "selected" : ""}"
        transform="translate(${x - NODE_W / 2},${y - NODE_H / 2})" data-node=${n.id}
        @click=${() => void select(n.id)}>
        <rect width=${NODE_W} height=${NODE_H} rx=${n.type === "Pod" ? 4 : 16}></rect>
        <text x="10" y="21">${n.display_name.length > 22 ? n.display_name.slice(0, 21) + "…" : n.display_name}</text>
        <title>${n.display_name} · ${n.type} · ${n.phase}${n.message ? ` · ${n.message}` : ""}</title>
      </g>`;
    })}
  </svg>`;

  const nodePanel = (n: WorkflowNode) => html`<section class="card node-panel" data-testid="node-panel">
    <h2>${n.display_name} ${stateBadge(n.phase.toLowerCase())}</h2>
    <dl class="facts">
      <dt>Type</dt><dd>${n.type} (template ${n.template_name})</dd>
      <dt>Ran</dt><dd>${duration(n.started_at ?? null, n.finished_at ?? null) || "—"}</dd>
      ${n.message ? html`<dt>Message</dt><dd>${n.message}</dd>` : ""}
      ${n.job_id !== undefined ? html`<dt>Job</dt><dd><a href="/jobs/${n.job_id}">${n.job_id}</a></dd>` : ""}
      ${n.inputs?.parameters?.length ? html`<dt>Inputs</dt><dd>${n.inputs.parameters.map((p) => `${p.name}=${p.value}`).join(", ")}</dd>` : ""}
      ${n.outputs?.parameters?.length ? html`<dt>Outputs</dt><dd>${n.outputs.parameters.map((p) => `${p.name}=${p.value}`).join(", ")}</dd>` : ""}
      ${n.outputs?.exit_code !== undefined ? html`<dt>Exit code</dt><dd>${n.outputs.exit_code}</dd>` : ""}
    </dl>
    ${n.type === "Pod" ? html`<pre class="node-log">${logText || "(no output yet)"}</pre>` : ""}
  </section>`;

  const draw = () => {
    const w = wf;
    const node = w?.nodes.find((n) => n.id === selected);
    const finished = w ? FINISHED.has(w.phase) : true;
    render(
      html`<p class="crumbs"><a href="/workflows">Workflows</a> / ${id}</p>
        ${error ? html`<p class="error">${error}</p>` : ""}
        ${w
          ? html`<div class="title-row">
                <h1>${w.name} <small class="muted">#${w.id}</small></h1>
                <span data-testid="workflow-phase">${stateBadge(w.phase.toLowerCase())}</span>
                <span class="muted">${w.progress}</span>
                ${finished
                  ? html`${w.phase !== "Succeeded" ? html`<button @click=${() => act("retry")}>Retry</button>` : ""}
                      <button @click=${() => act("resubmit")}>Resubmit</button>`
                  : html`<button class="danger" @click=${() => act("stop")}>Stop</button>
                      <button class="danger" @click=${() => act("terminate")}>Terminate</button>
                      <button @click=${() => act("suspend")}>Suspend</button>
                      <button @click=${() => act("resume")}>Resume</button>`}
              </div>
              <dl class="facts">
                <dt>Created</dt><dd>${localTime(w.created_at)}</dd>
                <dt>Ran</dt><dd>${duration(w.started_at, w.finished_at) || "—"}</dd>
                ${w.message ? html`<dt>Message</dt><dd>${w.message}</dd>` : ""}
              </dl>
              <div class="dag-row">
                <div class="dag-host">${layout ? graph(layout, new Map(w.nodes.map((n) => [n.id, n]))) : ""}</div>
                ${node ? nodePanel(node) : html`<p class="muted">Click a step for its inputs, outputs and log.</p>`}
              </div>`
          : error
            ? ""
            : html`<p class="muted">loading…</p>`}`,
      el,
    );
  };

  void load();
  return stop;
};
