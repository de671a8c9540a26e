"""/metrics on the real server: Prometheus text that a strict parser accepts, series that follow
jobs as they run, access control, and a real Prometheus (Debian's) scraping it."""

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT, ApiError, Server
from metrics_text import Scrape

SCRAPE_TOKEN = "scrape-token-0123456789abcdef"


@pytest.fixture
def metered(tmp_path):
    token_file = tmp_path / "scrape-token"
    token_file.write_text(SCRAPE_TOKEN + "\n")
    token_file.chmod(0o644)
    s = Server(tmp_path / "data", gpus=2, nodes=2,
               extra=["--metrics-token-file", str(token_file)]).start()
    s.scrape_token_file = token_file
    yield s
    s.stop()


def scrape(server, token=SCRAPE_TOKEN):
    return Scrape(server.client(token).get("/metrics", raw=True))


def wait_for(predicate, timeout=15, what="condition"):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_access_needs_the_scrape_token_or_an_admin(metered):
    admin = metered.client()
    with pytest.raises(ApiError) as e:
        admin.get("/metrics", raw=True, token="")
    assert e.value.status == 401
    with pytest.raises(ApiError) as e:
        admin.get("/metrics", raw=True, token="not-the-token")
    assert e.value.status == 401
    user = admin.post("/api/v1/users", {"name": "carol"})
    with pytest.raises(ApiError) as e:
        admin.get("/metrics", raw=True, token=user["token"])
    assert e.value.status == 403
    # The scrape token opens /metrics and nothing else.
    assert "corral_node_gpus" in admin.get("/metrics", raw=True, token=SCRAPE_TOKEN)
    with pytest.raises(ApiError) as e:
        admin.get("/api/v1/jobs", token=SCRAPE_TOKEN)
    assert e.value.status == 401
    assert "corral_node_gpus" in admin.get("/metrics", raw=True)
    with pytest.raises(ApiError) as e:
        admin.post("/metrics", {})
    assert e.value.status == 400


def test_the_exposition_passes_promtools_lint(metered):
    """promtool (from Debian's prometheus) checks names, units and suffixes against Prometheus'
    conventions, and parses the text with Prometheus' own parser."""
    promtool = shutil.which("promtool")
    assert promtool, "Debian's prometheus package is a test dependency (install-deps.sh test)"
    admin = metered.client()
    job = admin.submit(name="one", command=["true"], resources={"gpus": 1})
    admin.wait(job["id"])
    text = admin.get("/metrics", raw=True)
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


def test_loopback_scrapes_without_credentials_only_when_allowed(tmp_path):
    s = Server(tmp_path / "data", gpus=1, extra=["--metrics-allow-loopback"]).start()
    try:
        text = s.client().get("/metrics", raw=True, token="")
        assert Scrape(text).total("corral_node_gpus") == 1
        # Credentials that are sent are still checked.
        with pytest.raises(ApiError) as e:
            s.client().get("/metrics", raw=True, token="wrong")
        assert e.value.status == 401
    finally:
        s.stop()


def test_series_follow_jobs_as_they_run(metered):
    admin = metered.client()
    first = scrape(metered)
    assert first.total("corral_node_gpus") == 4
    assert first.value("corral_node_gpus", node="sim-0", simulated="true") == 2
    assert first.total("corral_node_gpus_allocated") == 0
    assert first.value("corral_jobs", state="running") == 0
    assert first.value("corral_queue_pending_jobs", queue="default", priority="normal") == 0
    assert first.value("process_resident_memory_bytes") > 1e6
    assert first.value("process_open_fds") > 3
    assert first.value("corral_trial_metric_series") == 0

    hold = admin.submit(name="hold", command=["sleep", "60"], resources={"gpus": 1})
    admin.wait(hold["id"], states=("running",))
    # Asks for every GPU: waits while `hold` has one.
    big = admin.submit(name="big", command=["true"], replicas=2, resources={"gpus": 2},
                       priority="high")
    busy = wait_for(lambda: (lambda s: s if s.value("corral_queue_pending_jobs", queue="default",
                                                    priority="high") == 1 else None)(
        scrape(metered)), what="big to wait")
    assert busy.total("corral_node_gpus_allocated") == 1
    assert busy.total("corral_node_gpus_idle") == 3
    assert busy.value("corral_queue_pending_gpus", queue="default", priority="high") == 4
    assert busy.value("corral_queue_gpus_allocated", queue="default") == 1
    assert busy.value("corral_jobs", state="running") == 1
    assert busy.value("corral_jobs", state="pending") == 1
    held = [d for d, v in busy.series("corral_gpu_allocated") if v == 1]
    assert len(held) == 1 and held[0]["user"] == "admin" and held[0]["simulated"] == "true"
    assert busy.total("corral_gpu_utilization_ratio") == 1
    assert busy.value("corral_jobs_started_total") == 1

    admin.post(f"/api/v1/jobs/{hold['id']}/cancel")
    admin.wait(big["id"])
    after = wait_for(lambda: (lambda s: s if s.value("corral_jobs", state="succeeded") == 1 and
                              s.value("corral_jobs", state="cancelled") == 1 else None)(
        scrape(metered)), what="the ended jobs to be committed")
    assert after.value("corral_jobs_submitted_total") == 2
    assert after.value("corral_jobs_finished_total", outcome="succeeded") == 1
    assert after.value("corral_jobs_finished_total", outcome="cancelled") == 1
    assert after.value("corral_jobs_finished_total", outcome="failed") == 0
    assert after.total("corral_node_gpus_allocated") == 0
    assert after.value("corral_queue_pending_jobs", queue="default", priority="high") == 0

    # The control thread's work is timed by task, scheduling passes and commits too.
    assert after.value("corral_control_task_run_seconds_count", task="api/jobs") >= 3
    assert after.value("corral_control_task_wait_seconds_count", task="jobs.exec_event") >= 1
    # A task is recorded once it returns, which may be after its caller already went on.
    assert after.value("corral_control_task_run_seconds_count", task="metrics.snapshot") >= 2
    assert after.value("corral_scheduling_pass_duration_seconds_count") >= 2
    assert after.value("corral_store_commit_duration_seconds_count") >= 3
    assert after.value("corral_http_requests_total", route="api/jobs", method="POST",
                       code="201") == 2
    # A scrape is counted once answered: this one is not in its own figures yet.
    assert after.value("corral_http_requests_total", route="metrics", method="GET",
                       code="200") >= 2
    assert after.value("corral_http_request_duration_seconds_count", route="metrics") >= 2
    assert after.value("corral_http_open_connections") >= 1
    assert after.value("corral_metrics_snapshot_seconds") < 1


def test_trial_metrics_are_exported_per_experiment_trial_and_metric(metered):
    admin = metered.client()
    spec = {
        "name": "m", "objective": {"metric": "loss", "direction": "minimize"},
        "parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}],
        "algorithm": {"name": "random"}, "seed": 3, "parallelTrialCount": 1, "maxTrialCount": 1,
        "trial": {"command": ["sleep", "30"]},
    }
    exp = admin.post("/api/v1/experiments", spec)
    wait_for(lambda: admin.get(f"/api/v1/experiments/{exp['id']}/trials")["trials"][0]["state"]
             == "running", what="the trial to run")
    for value in (0.5, 0.25):
        admin.post(f"/api/v1/experiments/{exp['id']}/trials/0/metrics",
                   {"name": "loss", "value": value, "step": 1})
    s = scrape(metered)
    assert s.value("corral_trial_metric", experiment=exp["id"], trial=0, metric="loss") == 0.25
    assert s.value("corral_trial_metric_series") == 1
    admin.post(f"/api/v1/experiments/{exp['id']}/stop")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prom_query(port, query):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.loads(r.read())
    assert body["status"] == "success", body
    return body["data"]["result"]


def dashboard_queries():
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "corral-overview.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return dashboard, exprs


def check_dashboard_queries(port, scraped):
    """Every query of the shipped dashboard is valid PromQL that Prometheus accepts, and every
    series it names is one the server exports."""
    dashboard, exprs = dashboard_queries()
    assert any(v["type"] == "datasource" and v["query"] == "prometheus"
               for v in dashboard["templating"]["list"])
    exported = {name for name, _ in scraped.samples}
    for expr in exprs:
        for name in re.findall(r"\b((?:corral|process)_[a-z_]+)", expr):
            assert name in exported, f"the dashboard uses {name}, which /metrics does not export"
        if expr.startswith("label_values("):
            continue
        query = (expr.replace("$__rate_interval", "1m").replace('"$job"', '".*"')
                 .replace('"$node"', '".*"').replace('"$queue"', '".*"'))
        prom_query(port, query)  # asserts status == success


def test_a_real_prometheus_scrapes_the_server(metered, tmp_path):
    prometheus = shutil.which("prometheus")
    assert prometheus, "Debian's prometheus package is a test dependency (install-deps.sh test)"
    admin = metered.client()
    job = admin.submit(name="done", command=["true"], resources={"gpus": 1})
    admin.wait(job["id"])
    port = free_port()
    host = metered.url.split("//", 1)[1]
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: corral
    authorization:
      type: Bearer
      credentials_file: {metered.scrape_token_file}
    static_configs:
      - targets: ["{host}"]
""")
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen(
        [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        def gpus_seen():
            try:
                result = prom_query(port, "sum(corral_node_gpus)")
            except OSError:
                return None
            return result if result else None

        result = wait_for(gpus_seen, timeout=20, what="Prometheus to scrape corral")
        assert float(result[0]["value"][1]) == 4
        up = prom_query(port, 'up{job="corral"}')
        assert float(up[0]["value"][1]) == 1
        succeeded = prom_query(port, 'corral_jobs{state="succeeded"}')
        assert float(succeeded[0]["value"][1]) == 1
        per_node = prom_query(port, "sum by (node) (corral_node_gpus_idle)")
        assert sorted(r["metric"]["node"] for r in per_node) == ["sim-0", "sim-1"]
        hist = prom_query(port, "histogram_quantile(0.99, sum by (le) "
                                "(corral_control_task_run_seconds_bucket))")
        assert hist and float(hist[0]["value"][1]) > 0
        check_dashboard_queries(port, scrape(metered))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_corral_top_shows_gpus_their_users_and_utilisation(metered):
    admin = metered.client()
    job = admin.submit(name="toptest", command=["sleep", "30"], resources={"gpus": 1})
    admin.wait(job["id"], states=("running",))
    try:
        r = metered.cli("top", "--once", check=True)
        assert r.stdout.startswith("GPUs 1/4 in use (25%) on 2 nodes | jobs: 1 running, 0 waiting")
        # NODE GPU JOB USER UTIL MODEL ("Simulated GPU": two words)
        gpus = [l.split() for l in r.stdout.splitlines() if l.endswith("Simulated GPU")]
        assert len(gpus) == 4, r.stdout
        held = [g for g in gpus if g[2] == str(job["id"])]
        assert len(held) == 1 and held[0][3:5] == ["admin", "100%*"], r.stdout
        assert all(g[2:5] == ["-", "-", "0%*"] for g in gpus if g not in held), r.stdout
        assert "[#.]" in r.stdout and "toptest" in r.stdout
        # A user who may not read /metrics still sees the cluster, without utilisation.
        user = admin.post("/api/v1/users", {"name": "dave"})
        r = metered.cli("top", "--once", token=user["token"], check=True)
        assert "GPUs 1/4 in use" in r.stdout and "(UTIL needs /metrics" in r.stdout
        assert "100%" not in r.stdout
    finally:
        admin.post(f"/api/v1/jobs/{job['id']}/cancel")
