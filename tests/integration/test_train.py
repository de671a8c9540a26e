"""Training jobs on the local executor: a Kubeflow PyTorchJob through `corral train`, one gang
of Master + Workers with per-replica ranks and logs (`corral logs --replica N`)."""

import json

import pytest

from conftest import ApiError

PYTORCH_JOB = """
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: ranks
  namespace: team-a
spec:
  runPolicy:
    backoffLimit: 1
    cleanPodPolicy: None
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers:
            - name: pytorch
              image: pytorch/pytorch:2
              command: ["sh", "-c"]
              args: ["echo RANK=$RANK WORLD=$WORLD_SIZE PET=$PET_NNODES/$PET_NODE_RANK MODE=$MODE"]
              env: [{name: MODE, value: train}]
              resources: {limits: {nvidia.com/gpu: 1}}
    Worker:
      replicas: 2
      restartPolicy: OnFailure
      template:
        spec:
          nodeSelector: {gpu: a100}
          containers:
            - name: pytorch
              image: pytorch/pytorch:2
              command: ["sh", "-c"]
              args: ["echo RANK=$RANK WORLD=$WORLD_SIZE PET=$PET_NNODES/$PET_NODE_RANK MODE=$MODE"]
              env: [{name: MODE, value: train}]
              resources: {limits: {nvidia.com/gpu: 1}}
"""


def test_corral_train_runs_a_gang_with_per_replica_logs(server, admin, tmp_path):
    f = tmp_path / "job.yaml"
    f.write_text(PYTORCH_JOB)
    r = server.cli("train", str(f), check=True)
    job_id = r.stdout.strip()
    assert "metadata.namespace: Kubernetes-only, ignored" in r.stderr
    assert "Worker.template.spec.nodeSelector: Kubernetes-only, ignored" in r.stderr
    done = admin.wait(job_id, timeout=60)
    assert done["state"] == "succeeded", done
    assert len(done["attempts"][0]["replicas"]) == 3
    for i in range(3):
        out = server.cli("logs", "--replica", str(i), job_id, check=True).stdout
        assert f"RANK={i} WORLD=3 PET=3/{i} MODE=train" in out, out


def test_pytorch_job_with_unknown_field_is_refused_with_its_path(admin):
    bad = PYTORCH_JOB.replace("backoffLimit: 1", "backoffLimit: 1\n    backofLimit: 2")
    with pytest.raises(ApiError) as e:
        admin.post("/api/v1/jobs", bad, content_type="application/yaml")
    assert e.value.status == 400
    assert "spec.runPolicy.backofLimit" in json.dumps(e.value.body)
    assert admin.get("/api/v1/jobs?state=pending,running,succeeded,failed")["jobs"] == []


def test_exit_code_restart_policy_retries_only_signals(admin):
    job = admin.submit(command=["sh", "-c", "exit 3"], retry={"max_retries": 2,
                                                             "exit_codes": "128-255"})
    done = admin.wait(job["id"], timeout=30)
    assert done["state"] == "failed" and len(done["attempts"]) == 1, done
    assert "retry.exit_codes" in done["reason"]
    job = admin.submit(command=["sh", "-c", "kill -TERM $$"],
                       retry={"max_retries": 1, "exit_codes": "128-255"})
    done = admin.wait(job["id"], timeout=30)
    assert done["state"] == "failed" and len(done["attempts"]) == 2, done
