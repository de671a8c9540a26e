// The edges of a workflow's graph as Argo draws it. A run's nodes say what contains what (a DAG
// node holds every task, a Steps node every step group); the order between them is in the spec:
// a DAG task hangs under the tasks it depends on (`depends`, `dependencies`), the tasks without
// dependencies under the DAG node; step group i+1 follows every step of group i.
import type { WorkflowNode } from "./api";

interface TemplateSpec {
  name?: string;
  dag?: { tasks?: { name?: string; depends?: string; dependencies?: string[] }[] };
}

/** Task names a `depends` expression refers to: `(A || B.Failed) && !C` -> A, B, C. */
export function dependsNames(expr: string): string[] {
  const out: string[] = [];
  for (const m of expr.matchAll(/[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z]+)?/g)) {
    const name = m[0].split(".")[0];
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

export function graphEdges(nodes: WorkflowNode[], spec: unknown): [string, string][] {
  const templates = new Map<string, TemplateSpec>();
  // The stored document is the whole Workflow; its templates are under `spec`.
  type Doc = { templates?: TemplateSpec[]; spec?: { templates?: TemplateSpec[] } } | null;
  const doc = spec as Doc;
  for (const t of doc?.spec?.templates ?? doc?.templates ?? [])
    if (t?.name) templates.set(t.name, t);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edges: [string, string][] = [];
  for (const n of nodes) {
    const children = (n.children ?? []).filter((c) => byId.has(c));
    const tasks = n.type === "DAG" ? templates.get(n.template_name)?.dag?.tasks : undefined;
    if (tasks) {
      const childByTask = new Map<string, string>();
      for (const c of children) childByTask.set(byId.get(c)!.display_name.replace(/\(.*$/, ""), c);
      for (const c of children) {
        const task = tasks.find((t) => t.name === byId.get(c)!.display_name.replace(/\(.*$/, ""));
        const deps = task
          ? [...(task.dependencies ?? []), ...(task.depends ? dependsNames(task.depends) : [])]
              .map((d) => childByTask.get(d))
              .filter((d): d is string => d !== undefined && d !== c)
          : [];
        if (deps.length === 0) edges.push([n.id, c]);
        else for (const d of deps) edges.push([d, c]);
      }
    } else if (n.type === "Steps") {
      // Groups in order: the first under the Steps node, each next one under the previous one's steps.
      let previous = [n.id];
      for (const g of children) {
        for (const p of previous) edges.push([p, g]);
        const steps = (byId.get(g)!.children ?? []).filter((c) => byId.has(c));
        previous = steps.length ? steps : [g];
      }
    } else {
      for (const c of children) edges.push([n.id, c]);
    }
  }
  return edges;
}
