"""A small training pipeline: prepare data, train three models in parallel, pick the best.

    corral workflow submit examples/workflows/pipeline.py --watch
    python3 examples/workflows/pipeline.py          # submits through the REST API as well

Each function body runs on the host's Python; nothing is built.
"""

from corral.workflow import DAG, Artifact, Parameter, RetryStrategy, Workflow, script


@script(outputs=[Artifact("data", path="/tmp/data.json")])
def prepare(rows: int = 100):
    import json
    import random

    random.seed(rows)
    points = [[x / rows, 2.0 * x / rows + random.gauss(0, 0.05)] for x in range(rows)]
    with open("/tmp/data.json", "w") as f:
        json.dump(points, f)
    print(len(points))


@script(inputs=[Artifact("data", path="/tmp/data.json")], retry_strategy=RetryStrategy(limit=2))
def train(learning_rate: float):
    import json

    points = json.load(open("/tmp/data.json"))
    w = 0.0
    for _ in range(200):
        grad = sum(2 * (w * x - y) * x for x, y in points) / len(points)
        w -= learning_rate * grad
    loss = sum((w * x - y) ** 2 for x, y in points) / len(points)
    print(json.dumps({"learning_rate": learning_rate, "w": round(w, 4), "loss": round(loss, 6)}))


@script()
def pick_best(results: list):
    best = min(results, key=lambda r: r["loss"])
    print(f"best learning rate {best['learning_rate']}: w={best['w']} loss={best['loss']}")


with Workflow(generate_name="train-pipeline-", entrypoint="main",
              arguments=[Parameter("rows", value="200")]) as w:
    with DAG(name="main"):
        data = prepare(arguments={"rows": "{{workflow.parameters.rows}}"})
        models = train(
            name="train",
            arguments={"learning_rate": "{{item}}", "data": data.get_artifact("data")},
            with_items=[0.01, 0.1, 0.5],
        )
        best = pick_best(arguments={"results": models.result})
        data >> models >> best

if __name__ == "__main__":
    created = w.create()  # with CORRAL_WORKFLOW_EMIT=1 (corral workflow submit) it only prints
    if "id" in created:
        print(f"workflow {created['id']} submitted ({created['name']})")
