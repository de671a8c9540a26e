// Opens every view of the UI in Chromium and reports its load time from the Performance API:
// full page load = navigation start to the view's `view-ready:NAME` mark; in-app = the
// `view:NAME` measure from the route change to that mark. Prints one JSON line of medians (ms).
import { createRequire } from "node:module";

const require = createRequire(new URL("../../ui/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const URL_ = process.env.CORRAL_URL;
const RUNS = Number(process.env.RUNS || 5);

const VIEWS = [
  ["cluster", "/cluster", "cluster"],
  ["queue", "/queue", "queue"],
  ["jobs", "/jobs", "jobs"],
  ["job detail", `/jobs/${process.env.JOB_ID}`, "job"],
  ["experiments", "/experiments", "experiments"],
  ["experiment detail", `/experiments/${process.env.EXPERIMENT_ID}`, "experiment"],
  ["workflows", "/workflows", "workflows"],
  ["workflow detail", `/workflows/${process.env.WORKFLOW_ID}`, "workflow"],
  ["notebooks", "/notebooks", "notebooks"],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.setDefaultTimeout(30000);
  await page.goto(URL_ + "/login");
  await page.fill("input[name=name]", process.env.USER_NAME);
  await page.fill("input[name=password]", process.env.USER_PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=jobs-table]");

  const readyAt = (mark) =>
    page.waitForFunction((m) => performance.getEntriesByName(m, "mark").length > 0, mark, { polling: 10 });
  const out = {};
  for (const [label, path, name] of VIEWS) {
    const full = [];
    const inapp = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto(URL_ + path);
      await readyAt(`view-ready:${name}`);
      full.push(await page.evaluate((m) => performance.getEntriesByName(m, "mark")[0].startTime, `view-ready:${name}`));
      // In-app: leave for another view, then come back by a client-side route change.
      const [away, awayName] = name === "experiments" ? ["queue", "queue"] : ["experiments", "experiments"];
      await page.evaluate(() => performance.clearMeasures());
      await page.evaluate((a) => document.querySelector(`a[data-nav=${a}]`).click(), away);
      await readyAt(`view-ready:${awayName}`);
      await page.evaluate((p) => {
        performance.clearMarks();
        const a = document.createElement("a");
        a.href = p;
        document.body.appendChild(a);
        a.click();
        a.remove();
      }, path);
      await page.waitForFunction((m) => performance.getEntriesByName(m, "measure").length > 0, `view:${name}`, { polling: 10 });
      inapp.push(await page.evaluate((m) => performance.getEntriesByName(m, "measure")[0].duration, `view:${name}`));
    }
    out[label] = { full: median(full), inapp: median(inapp) };
    console.error(`${label}: full ${full.map((x) => x.toFixed(0)).join(" ")} | in-app ${inapp.map((x) => x.toFixed(0)).join(" ")}`);
  }
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
