"""Runs the README's "Using it" tour verbatim against a real server, as a newcomer would after
`make run`: from the repository root, with the build directory on PATH and the CLI logged in."""

import os
import re
import subprocess
import time

from conftest import BUILD, CORRAL, ROOT, Server


def tour_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Using it", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the tour's ```sh block is missing"
    commands = [line for line in block.group(1).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert len(commands) >= 10
    return commands


def test_readme_tour_runs_verbatim(tmp_path):
    # As scripts/run-demo.sh starts it on a machine without GPUs.
    server = Server(tmp_path / "data", gpus=4, nodes=2).start()
    try:
        env = dict(os.environ)
        env["PATH"] = f"{BUILD}:{env['PATH']}"
        env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
        env["HOME"] = str(tmp_path / "home")
        for name in ("CORRAL_URL", "CORRAL_TOKEN"):
            env.pop(name, None)
        subprocess.run([str(CORRAL), "login", "--url", server.url, "--token", server.admin_token],
                       env=env, check=True, capture_output=True, timeout=30)

        commands = tour_commands()
        # One shell for the whole tour (a later line may use a variable an earlier one set); the
        # status of every line is recorded.
        status_file = tmp_path / "status"
        script = ["set -u"]
        for i, command in enumerate(commands):
            script += [command, f'echo "{i} $?" >> "{status_file}"']
        result = subprocess.run(["bash", "-c", "\n".join(script)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        codes = dict(line.split() for line in status_file.read_text().splitlines())
        for i, command in enumerate(commands):
            assert codes.get(str(i)) == "0", (
                f"tour line exited {codes.get(str(i))}: {command}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")

        admin = server.client()
        experiments = admin.get("/api/v1/experiments")["experiments"]
        tuned = experiments
        assert len(tuned) == sum("tune submit" in c for c in commands) >= 1
        # Every trial that ends must succeed (or be pruned by early stopping): a trial that cannot
        # find the example's script fails at once.
        deadline = time.time() + 60
        for exp in tuned:
            while True:
                trials = admin.get(f"/api/v1/experiments/{exp['id']}/trials")["trials"]
                ended = [t for t in trials if t["state"] not in ("pending", "running")]
                bad = [t for t in ended if t["state"] not in ("succeeded", "pruned")]
                assert not bad, (exp["name"], bad)
                if sum(t["state"] == "succeeded" for t in ended) >= 3:
                    break
                assert time.time() < deadline, (exp["name"], trials)
                time.sleep(0.2)
            job = admin.job(trials[0]["job"])
            assert job["spec"]["workdir"] == str(ROOT)
            admin.post(f"/api/v1/experiments/{exp['id']}/stop")
    finally:
        server.stop()
