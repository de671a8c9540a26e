// The page shell: session check, navigation bar, routes to the views, and the shared event stream.
import Navigo from "navigo";
import { html, render } from "lit-html";
import "./style.css";
import { currentSession, logout, onUnauthenticated, type Session } from "./api";
import { onConnectionChange, startEvents, stopEvents } from "./events";
import type { View } from "./view";
import { loginView } from "./views/login";
import { jobsView } from "./views/jobs";
import { jobDetailView } from "./views/job_detail";
import { clusterView } from "./views/cluster";
import { queueView } from "./views/queue";
import { experimentsView } from "./views/experiments";
import { experimentDetailView } from "./views/experiment_detail";
import { workflowsView } from "./views/workflows";
import { workflowDetailView } from "./views/workflow_detail";
import { notebooksView } from "./views/notebooks";
import { setCurrentUser } from "./views/widgets";

const router = new Navigo("/");
const app = document.getElementById("app")!;
// The bar and the view live in two fixed elements; each view gets a fresh element in `main`.
const bar = document.createElement("div");
const main = document.createElement("main");
app.append(bar, main);
let session: Session | null = null;
let unmount: (() => void) | null = null;
let live = false;

const NAV = [
  ["/cluster", "Cluster"],
  ["/queue", "Queue"],
  ["/jobs", "Jobs"],
  ["/experiments", "Experiments"],
  ["/workflows", "Workflows"],
  ["/notebooks", "Notebooks"],
] as const;

let activePath: string | null = null;

function shell(active: string): void {
  activePath = active;
  render(
    html`<header class="topbar">
        <a class="brand" href="/jobs">Corral</a>
        <nav>
          ${NAV.map(
            ([href, label]) =>
              html`<a href=${href} class=${active.startsWith(href) ? "active" : ""} data-nav=${label.toLowerCase()}>${label}</a>`,
          )}
        </nav>
        <span class="spacer"></span>
        <span class=${live ? "live on" : "live"} title="live updates">${live ? "live" : "offline"}</span>
        <span class="user" data-testid="user">${session?.name} <small>(${session?.role})</small></span>
        <button class="link" @click=${doLogout}>Log out</button>
      </header>`,
    bar,
  );
}

async function doLogout(): Promise<void> {
  try {
    await logout();
  } finally {
    session = null;
    stopEvents();
    router.navigate("/login");
  }
}

function show(view: View, active: string, params: Record<string, string> = {}): void {
  unmount?.();
  unmount = null;
  if (!session) {
    const next = location.pathname + location.search;
    router.navigate("/login" + (next !== "/" && next !== "/login" ? `?next=${encodeURIComponent(next)}` : ""));
    return;
  }
  performance.clearMarks("view-start");
  performance.mark("view-start");
  setCurrentUser(session.name, session.role);
  startEvents();
  // A fresh element per view: a view's late async renders land in its own, detached element.
  const el = document.createElement("div");
  shell(active);
  main.replaceChildren(el);
  unmount = view(el, params, (path) => router.navigate(path));
}

function showLogin(): void {
  unmount?.();
  const el = document.createElement("div");
  activePath = null;
  render(html``, bar);
  main.replaceChildren(el);
  const next = new URLSearchParams(location.search).get("next");
  unmount = loginView(el, {}, () => {});
  el.addEventListener(
    "corral-login",
    ((e: CustomEvent<Session>) => {
      session = e.detail;
      router.navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/jobs");
    }) as EventListener,
    { once: true },
  );
}

onUnauthenticated(() => {
  if (session) {
    session = null;
    stopEvents();
    router.navigate("/login");
  }
});

onConnectionChange((c) => {
  live = c;
  if (session && activePath !== null) shell(activePath);
});

// Same-origin links navigate inside the page.
document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest("a");
  if (!a || a.target || a.hasAttribute("download")) return;
  const href = a.getAttribute("href");
  if (!href || !href.startsWith("/") || href.startsWith("//") || href.startsWith("/api/")) return;
  e.preventDefault();
  router.navigate(href);
});

router
  .on("/login", showLogin)
  .on("/", () => router.navigate("/jobs"))
  .on("/cluster", () => show(clusterView, "/cluster"))
  .on("/queue", () => show(queueView, "/queue"))
  .on("/jobs", () => show(jobsView, "/jobs"))
  .on("/jobs/:id", (m) => show(jobDetailView, "/jobs", m?.data ?? {}))
  .on("/experiments", () => show(experimentsView, "/experiments"))
  .on("/experiments/:id", (m) => show(experimentDetailView, "/experiments", m?.data ?? {}))
  .on("/workflows", () => show(workflowsView, "/workflows"))
  .on("/notebooks", () => show(notebooksView, "/notebooks"))
  .on("/workflows/:id", (m) => show(workflowDetailView, "/workflows", m?.data ?? {}))
  .notFound(() => show((el) => (render(html`<h1>Not found</h1>`, el), () => {}), ""));

currentSession()
  .then((s) => {
    session = s;
    router.resolve();
  })
  .catch((e) => {
    render(html`<p class="error">Cannot reach the server: ${String(e)}</p>`, main);
  });
