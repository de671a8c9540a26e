// End-to-end check of the web UI in Debian's Chromium, driven by playwright-core, against a real
// server started by tests/integration/test_ui.py (which passes everything through the environment).
//   CORRAL_URL, ALICE_PASSWORD, ALICE_TOKEN, BOB_TOKEN, EXPERIMENT_SPEC (JSON), SCREENSHOT_DIR
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

const require = createRequire(new URL("../../ui/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const URL_ = env("CORRAL_URL");
const SHOTS = env("SCREENSHOT_DIR");
mkdirSync(SHOTS, { recursive: true });
const t0 = Date.now();
const step = (what) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}`);

async function api(token, method, path, body) {
  const r = await fetch(URL_ + "/api/v1" + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}
const alice = (m, p, b) => api(env("ALICE_TOKEN"), m, p, b);
const bob = (m, p, b) => api(env("BOB_TOKEN"), m, p, b);

// Bob's objects: nothing of these may appear anywhere in Alice's browser.
const bobJob = await bob("POST", "/jobs", {
  name: "bob-private-run",
  command: ["sh", "-c", "echo bob-secret-output; sleep 120"],
  resources: { gpus: 1 },
});
const bobExperiment = await bob("POST", "/experiments", { ...JSON.parse(env("EXPERIMENT_SPEC")), name: "bob-private-search" });
// Alice's: a job that writes a line every 0.25 s, one that waits for GPUs, an experiment.
const aliceTrain = await alice("POST", "/jobs", {
  name: "alice-train",
  command: ["sh", "-c", 'for i in $(seq 1 60); do echo "alice step $i"; sleep 0.25; done'],
  resources: { gpus: 1 },
});
const aliceServe = await alice("POST", "/jobs", { name: "alice-serve", command: ["sleep", "120"], resources: { gpus: 1 } });
const aliceBig = await alice("POST", "/jobs", {
  name: "alice-big",
  command: ["sleep", "60"],
  replicas: 3,
  resources: { gpus: 2 },
});
const aliceExperiment = await alice("POST", "/experiments", JSON.parse(env("EXPERIMENT_SPEC")));
// A small DAG workflow: A, then B and C side by side, then D; every step a real job.
const dagWorkflow = (name, sleep) => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Workflow",
  metadata: { name },
  spec: {
    entrypoint: "diamond",
    templates: [
      {
        name: "diamond",
        dag: {
          tasks: [
            { name: "A", template: "step", arguments: { parameters: [{ name: "msg", value: "alpha" }] } },
            { name: "B", depends: "A", template: "step", arguments: { parameters: [{ name: "msg", value: "bravo" }] } },
            { name: "C", depends: "A", template: "step", arguments: { parameters: [{ name: "msg", value: "charlie" }] } },
            { name: "D", depends: "B && C", template: "step", arguments: { parameters: [{ name: "msg", value: "delta" }] } },
          ],
        },
      },
      {
        name: "step",
        inputs: { parameters: [{ name: "msg" }] },
        container: { image: "alpine:3", command: ["sh", "-c", `echo "step says {{inputs.parameters.msg}}"; sleep ${sleep}`] },
      },
    ],
  },
});
const bobWorkflow = await bob("POST", "/workflows", dagWorkflow("bob-private-flow", 0));
const bobNotebook = await bob("POST", "/notebooks", { name: "bob-private-lab", gpus: 0 });
step(`submitted: bob job ${bobJob.id}, alice jobs ${aliceTrain.id} ${aliceBig.id}, experiments ${bobExperiment.id} ${aliceExperiment.id}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
step("chromium started");
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(15000);
const problems = [];
page.on("console", (m) => {
  if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
});
page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));

const forbidden = [bobJob.name, "bob-secret-output", bobExperiment.name, `/jobs/${bobJob.id}"`, `#${bobJob.id}`,
  "bob-private-flow", "bob-private-lab", `/nb/${bobNotebook.id}/`];
async function assertNothingOfBob(view) {
  const html = await page.content();
  for (const f of forbidden) assert.ok(!html.includes(f), `${view} shows bob's object (${f})`);
}
async function shot(name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
}

try {
  // Login: an unauthenticated visit lands on the login form and comes back after it.
  await page.goto(URL_ + "/jobs");
  await page.waitForSelector("[data-testid=login-form]");
  await shot("login");
  await page.fill("input[name=name]", "alice");
  await page.fill("input[name=password]", "wrong password");
  await page.click("button[type=submit]");
  await page.waitForSelector("[role=alert]");
  assert.match(await page.textContent("[role=alert]"), /wrong user name or password/);
  await page.fill("input[name=password]", env("ALICE_PASSWORD"));
  await page.click("button[type=submit]");
  await page.waitForSelector(`[data-testid=jobs-table] tr[data-job="${aliceTrain.id}"]`);
  assert.equal(new URL(page.url()).pathname, "/jobs");
  assert.equal((await page.textContent("[data-testid=user]")).trim().split(" ")[0], "alice");
  step("logged in through the form");

  // Jobs list: Alice's jobs, and a job submitted after the page loaded shows up without reload.
  await page.evaluate(() => (window.__noReload = true));
  await page.waitForSelector(".live.on");
  const later = await alice("POST", "/jobs", { name: "alice-after-load", command: ["true"] });
  await page.waitForSelector(`[data-testid=jobs-table] tr[data-job="${later.id}"]`);
  assert.ok(await page.evaluate(() => window.__noReload === true), "the page reloaded");
  await page.waitForFunction(
    (id) => document.querySelector(`tr[data-job="${id}"] .state`)?.textContent === "succeeded",
    later.id,
  );
  await assertNothingOfBob("jobs list");
  await shot("jobs");
  step("jobs list: live insert and state change");

  // Job detail: the log streams while the job runs.
  await page.click(`tr[data-job="${aliceTrain.id}"] a`);
  await page.waitForFunction(() => /alice step 2\b/.test(document.querySelector("[data-testid=log]")?.textContent ?? ""));
  const firstSeen = await page.evaluate(() => document.querySelector("[data-testid=log]").textContent.match(/alice step \d+/g).length);
  await page.waitForFunction(
    (n) => (document.querySelector("[data-testid=log]")?.textContent.match(/alice step \d+/g) ?? []).length >= n + 4,
    firstSeen,
  );
  assert.ok(await page.evaluate(() => window.__noReload === true), "the page reloaded");
  await assertNothingOfBob("job detail");
  await shot("job-detail");
  step(`job detail: log grew live from ${firstSeen} lines`);

  // Cancel from the detail page.
  page.once("dialog", (d) => d.accept());
  await page.click("[data-testid=cancel]");
  await page.waitForFunction(() => document.querySelector("[data-testid=job-state]")?.textContent.trim() === "cancelled");
  assert.equal((await alice("GET", `/jobs/${aliceTrain.id}`)).state, "cancelled");
  await page.waitForFunction(() => /ended: cancelled/.test(document.querySelector("[data-testid=log-status]")?.textContent ?? ""));
  step("cancelled through the UI");

  // Bob's job by its address is not found.
  await page.goto(URL_ + `/jobs/${bobJob.id}`);
  await page.waitForSelector(".error");
  assert.match(await page.textContent(".error"), /not found/);
  await assertNothingOfBob("bob's job page");

  // Cluster: every GPU; Alice's own job is linked, Bob's GPU shows only that it is busy.
  await page.evaluate(() => (window.__noReload = true));
  await page.click("a[data-nav=cluster]");
  await page.waitForSelector("[data-testid=nodes] .gpu");
  const gpus = await page.$$eval("[data-testid=nodes] .gpu", (els) => els.length);
  const nodes = await alice("GET", "/nodes");
  assert.equal(gpus, nodes.nodes.reduce((a, n) => a + n.gpus.length, 0));
  assert.ok((await page.$$eval(".gpu.busy", (e) => e.length)) >= 1, "bob's GPU is not shown as busy");
  await page.waitForSelector(`.gpu.mine a[href="/jobs/${aliceServe.id}"]`);
  // Utilisation from GET /nodes: a simulated GPU's stand-in figure, marked as such; none on a free one.
  const served = nodes.nodes.flatMap((n) => n.gpus.map((g) => ({ node: n.name, g }))).find((x) => x.g.job === aliceServe.id);
  assert.equal(served.g.simulated, true);
  assert.equal(served.g.utilization_pct, 100);
  assert.equal((await page.textContent(`[data-gpu="${served.node}/${served.g.index}"] [data-testid=util]`)).trim(), "100% sim");
  assert.equal(await page.$$eval(".gpu.free [data-testid=util]", (e) => e.length), 0);
  // A job that starts while the page is open takes its GPU on screen; cancelled, it frees it.
  const late = await alice("POST", "/jobs", { name: "alice-late", command: ["sleep", "60"], resources: { gpus: 1 } });
  await page.waitForSelector(`.gpu.mine a[href="/jobs/${late.id}"]`);
  await alice("POST", `/jobs/${late.id}/cancel`);
  await page.waitForSelector(`.gpu.mine a[href="/jobs/${late.id}"]`, { state: "detached" });
  assert.ok(await page.evaluate(() => window.__noReload === true), "the page reloaded");
  await assertNothingOfBob("cluster");
  await shot("cluster");
  step(`cluster: ${gpus} GPUs`);

  // Queue: the waiting job with the scheduler's reason.
  await page.click("a[data-nav=queue]");
  await page.waitForSelector(`[data-testid=pending-table] tr[data-job="${aliceBig.id}"]`);
  const reason = (await page.textContent(`tr[data-job="${aliceBig.id}"] .reason`)).trim();
  assert.equal(reason, (await alice("GET", `/jobs/${aliceBig.id}`)).reason);
  assert.ok(reason.length > 0 && reason !== "—", "no pending reason shown");
  // A job the scheduler holds GPUs for is listed with the time its reservation names.
  const held = /reserved for ([^;]+)/.exec(reason);
  const reservedRows = await page.$$eval(`[data-testid=reservations-table] tr[data-job="${aliceBig.id}"]`, (r) => r.map((x) => x.textContent));
  if (held) assert.ok(reservedRows.length === 1 && reservedRows[0].includes(held[1].trim()), "reservation not listed");
  else assert.equal(reservedRows.length, 0);
  assert.ok((await page.textContent("[data-testid=queues-table]")).includes("default"));
  await assertNothingOfBob("queue");
  await shot("queue");
  step(`queue: pending reason "${reason}"`);

  // Experiments: list, detail with charts and trials, stop and resume.
  await page.click("a[data-nav=experiments]");
  await page.waitForSelector(`[data-testid=experiments-table] a[href="/experiments/${aliceExperiment.id}"]`);
  await assertNothingOfBob("experiments list");
  await shot("experiments");
  await page.click(`a[href="/experiments/${aliceExperiment.id}"]`);
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll("[data-testid=trials-table] tbody tr");
    return [...rows].filter((r) => /succeeded/.test(r.textContent)).length >= 2;
  }, undefined, { timeout: 30000 });
  for (const id of ["chart-parallel", "chart-best", "chart-curves"]) await page.waitForSelector(`#${id} canvas`);
  // The per-trial curves can show any recorded metric.
  await page.waitForSelector("[data-testid=curve-metric] option[value=accuracy]", { state: "attached" });
  await page.selectOption("[data-testid=curve-metric]", "accuracy");
  await page.waitForFunction(() => /accuracy/.test(document.querySelector("#chart-curves")?.textContent ?? "") ||
    document.querySelector("[data-testid=curve-metric]").value === "accuracy");
  await page.click("[data-testid=stop]");
  await page.waitForSelector("[data-testid=resume]");
  assert.equal((await alice("GET", `/experiments/${aliceExperiment.id}`)).state, "stopped");
  await page.click("[data-testid=resume]");
  await page.waitForSelector("[data-testid=stop]");
  assert.equal((await alice("GET", `/experiments/${aliceExperiment.id}`)).state, "running");
  await page.waitForTimeout(300); // let the charts finish their first paint for the screenshot
  await assertNothingOfBob("experiment detail");
  await shot("experiment-detail");
  step("experiment: charts drawn, stopped and resumed");

  await page.goto(URL_ + `/experiments/${bobExperiment.id}`);
  await page.waitForSelector(".error");
  assert.match(await page.textContent(".error"), /not found/);
  await assertNothingOfBob("bob's experiment page");

  // Workflows: submitted after the list is open, it appears; its graph's phases move live to the
  // end; a click on a step shows its inputs and log.
  await page.goto(URL_ + "/workflows");
  await page.waitForSelector("[data-testid=workflows-table]");
  await page.evaluate(() => (window.__noReload = true));
  const flow = await alice("POST", "/workflows", dagWorkflow("alice-diamond", 1.5));
  await page.waitForSelector(`[data-testid=workflows-table] tr[data-workflow="${flow.id}"]`);
  await assertNothingOfBob("workflows list");
  await shot("workflows");
  await page.click(`a[href="/workflows/${flow.id}"] >> nth=0`);
  await page.waitForSelector("[data-testid=dag] g.dag-node");
  // The phases seen on screen over time, per step: they must move without a reload.
  const seen = {};
  const record = async () => {
    for (const [id, cls] of await page.$$eval("[data-testid=dag] g.dag-node", (gs) => gs.map((g) => [g.querySelector("text").textContent, g.getAttribute("class")])))
      (seen[id] ??= new Set()).add(/phase-(\w+)/.exec(cls)[1]);
  };
  const deadline = Date.now() + 30000;
  while (!/succeeded/.test(await page.textContent("[data-testid=workflow-phase]"))) {
    assert.ok(Date.now() < deadline, `workflow did not finish: ${JSON.stringify(Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, [...v]])))}`);
    await record();
    await page.waitForTimeout(150);
  }
  await record();
  const api = await alice("GET", `/workflows/${flow.id}`);
  assert.equal(api.phase, "Succeeded");
  const steps = api.nodes.filter((n) => n.type === "Pod");
  assert.equal(steps.length, 4);
  assert.equal(await page.$$eval("[data-testid=dag] g.dag-node", (g) => g.length), api.nodes.length);
  assert.equal(await page.$$eval("[data-testid=dag] g.dag-node.phase-succeeded", (g) => g.length),
    api.nodes.filter((n) => n.phase === "Succeeded").length);
  // D was seen waiting or running before it succeeded: the page followed the run.
  assert.ok(seen.D && seen.D.size >= 2, `D's phases on screen: ${[...(seen.D ?? [])]}`);
  assert.ok(await page.evaluate(() => window.__noReload === true), "the page reloaded");
  // The graph follows the dependencies: A above B and C (side by side), D below both.
  const rowOf = Object.fromEntries(await page.$$eval("[data-testid=dag] g.dag-node", (gs) =>
    gs.map((g) => [g.querySelector("text").textContent, Number(/translate\([^,]+,([^)]+)\)/.exec(g.getAttribute("transform"))[1])])));
  assert.ok(rowOf.A < rowOf.B && rowOf.B === rowOf.C && rowOf.C < rowOf.D, `layout: ${JSON.stringify(rowOf)}`);
  const nodeB = steps.find((n) => n.display_name === "B");
  await page.click(`[data-testid=dag] g.dag-node[data-node="${nodeB.id}"]`);
  await page.waitForFunction(() => /step says bravo/.test(document.querySelector("[data-testid=node-panel] .node-log")?.textContent ?? ""));
  assert.match(await page.textContent("[data-testid=node-panel]"), /msg=bravo/);
  await assertNothingOfBob("workflow detail");
  await shot("workflow-detail");
  step(`workflow ${flow.id}: DAG followed live to Succeeded (D seen ${[...seen.D].join(" -> ")}), step log shown`);
  await page.goto(URL_ + `/workflows/${bobWorkflow.id}`);
  await page.waitForSelector(".error");
  assert.match(await page.textContent(".error"), /not found/);
  await assertNothingOfBob("bob's workflow page");

  // Notebooks: the form shows the free GPUs /nodes reports; start one with a GPU, open it through
  // the proxy with the browser session, stop it.
  await page.click("a[data-nav=notebooks]");
  await page.waitForSelector("[data-testid=free-gpus]");
  const nodesNow = (await alice("GET", "/nodes")).nodes;
  const freeNow = nodesNow.reduce((a, n) => a + n.gpus.filter((g) => g.user === null).length, 0);
  assert.match(await page.textContent("[data-testid=free-gpus]"), new RegExp(`^${freeNow} of ${nodesNow.reduce((a, n) => a + n.gpus.length, 0)} GPUs free`));
  await page.fill("[data-testid=notebook-form] input[name=name]", "alice-lab");
  await page.selectOption("[data-testid=gpus]", "1");
  await page.click("[data-testid=start]");
  const nbRow = "[data-testid=notebooks-table] tr:has-text('alice-lab')";
  await page.waitForSelector(nbRow);
  await page.waitForSelector(`${nbRow} .state-ready`, { timeout: 30000 });
  const aliceNb = (await alice("GET", "/notebooks")).notebooks.find((n) => n.name === "alice-lab");
  assert.equal(aliceNb.state, "ready");
  assert.equal(aliceNb.gpus, 1);
  assert.ok((await page.textContent(nbRow)).includes(aliceNb.node), "node not shown");
  await assertNothingOfBob("notebooks");
  await shot("notebooks");
  const [nbPage] = await Promise.all([context.waitForEvent("page"), page.click(`${nbRow} [data-testid=open]`)]);
  await nbPage.waitForLoadState("domcontentloaded");
  await nbPage.waitForURL(new RegExp(`/nb/${aliceNb.id}/tree`));
  assert.ok(/jupyter/i.test(await nbPage.content()), "the notebook page is not Jupyter's");
  await nbPage.close();
  // Bob's notebook is not reachable with Alice's session.
  assert.equal(await page.evaluate(async (id) => (await fetch(`/nb/${id}/api/status`)).status, bobNotebook.id), 404);
  page.once("dialog", (d) => d.accept());
  await page.click(`${nbRow} [data-testid=stop]`);
  await page.waitForSelector(nbRow, { state: "detached", timeout: 20000 });
  assert.equal((await alice("GET", `/notebooks/${aliceNb.id}`)).state, "stopped");
  step(`notebook ${aliceNb.id}: started on ${aliceNb.node} with 1 GPU, opened through /nb/, stopped`);

  // Logging out ends the session: the API refuses the cookie.
  await page.goto(URL_ + "/jobs");
  await page.click("text=Log out");
  await page.waitForSelector("[data-testid=login-form]");
  const status = await page.evaluate(async () => (await fetch("/api/v1/jobs")).status);
  assert.equal(status, 401);

  // Expected: the 404s of bob's job/experiment pages and the 401 after logout; nothing else.
  const unexpected = problems.filter((p) => !/status of (404|401)/.test(p));
  assert.deepEqual(unexpected, [], "console errors (CSP violations included)");
  step("done");
} catch (e) {
  await shot("failure").catch(() => {});
  console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
