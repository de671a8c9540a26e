#include "train/pytorch_job.h"

#include <gtest/gtest.h>

namespace corral::train {
namespace {

using nlohmann::json;

json Sample() {
  return json::parse(R"({
    "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
    "metadata": {"name": "mnist", "namespace": "team-a", "labels": {"team": "a"}},
    "spec": {
      "runPolicy": {"backoffLimit": 2, "cleanPodPolicy": "None",
                    "schedulingPolicy": {"queue": "research", "priorityClass": "high"}},
      "pytorchReplicaSpecs": {
        "Master": {"replicas": 1, "restartPolicy": "OnFailure", "template": {"spec": {
          "containers": [{"name": "pytorch", "image": "pytorch/pytorch:2",
            "command": ["python3", "train.py"], "args": ["--epochs", "1"],
            "env": [{"name": "NCCL_DEBUG", "value": "INFO"}],
            "resources": {"limits": {"nvidia.com/gpu": 4, "cpu": "1500m", "memory": "8Gi"}}}],
          "nodeSelector": {"gpu": "a100"}}}},
        "Worker": {"replicas": 3, "restartPolicy": "OnFailure", "template": {"spec": {
          "containers": [{"name": "pytorch", "image": "pytorch/pytorch:2",
            "command": ["python3", "train.py"], "args": ["--epochs", "1"],
            "env": [{"name": "NCCL_DEBUG", "value": "INFO"}],
            "resources": {"limits": {"nvidia.com/gpu": "4", "cpu": "1500m", "memory": "8Gi"}}}]}}}
      }}})");
}

TEST(PyTorchJobTest, MapsReplicaSpecsToOneGang) {
  auto t = FromPyTorchJob(Sample());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const json& j = t->job;
  EXPECT_EQ(j["name"], "mnist");
  EXPECT_EQ(j["replicas"], 4);
  EXPECT_EQ(j["command"], json::array({"python3", "train.py", "--epochs", "1"}));
  EXPECT_EQ(j["resources"]["gpus"], 4);
  EXPECT_EQ(j["resources"]["cpus"], 2);  // 1500m rounds up
  EXPECT_EQ(j["resources"]["memory_mb"], 8192);
  EXPECT_EQ(j["env"]["NCCL_DEBUG"], "INFO");
  EXPECT_EQ(j["retry"]["max_retries"], 2);
  EXPECT_FALSE(j["retry"].contains("exit_codes"));
  EXPECT_EQ(j["queue"], "research");
  EXPECT_EQ(j["priority"], "high");
  EXPECT_EQ(j["labels"]["team"], "a");
  EXPECT_TRUE(IsPyTorchJob(Sample()));
}

TEST(PyTorchJobTest, WarnsAboutKubernetesOnlyFieldsByPath) {
  auto t = FromPyTorchJob(Sample());
  ASSERT_TRUE(t.ok());
  auto has = [&](const std::string& w) {
    return std::find(t->warnings.begin(), t->warnings.end(), w + ": Kubernetes-only, ignored") !=
           t->warnings.end();
  };
  EXPECT_TRUE(has("metadata.namespace"));
  EXPECT_TRUE(has("spec.runPolicy.cleanPodPolicy"));
  EXPECT_TRUE(has("spec.pytorchReplicaSpecs.Master.template.spec.nodeSelector"));
  EXPECT_TRUE(has("spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].image"));
}

TEST(PyTorchJobTest, UnknownFieldIsAnErrorWithItsPath) {
  json j = Sample();
  j["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["gpuz"] = 1;
  auto t = FromPyTorchJob(j);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().field(), "spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].gpuz");
}

TEST(PyTorchJobTest, RestartPolicies) {
  json j = Sample();
  for (auto* type : {"Master", "Worker"})
    j["spec"]["pytorchReplicaSpecs"][type]["restartPolicy"] = "Never";
  EXPECT_EQ(FromPyTorchJob(j)->job["retry"]["max_retries"], 0);
  for (auto* type : {"Master", "Worker"})
    j["spec"]["pytorchReplicaSpecs"][type]["restartPolicy"] = "ExitCode";
  auto t = FromPyTorchJob(j);
  EXPECT_EQ(t->job["retry"]["max_retries"], 2);
  EXPECT_EQ(t->job["retry"]["exit_codes"], "128-255");
  j["spec"]["pytorchReplicaSpecs"]["Worker"]["restartPolicy"] = "Never";
  EXPECT_EQ(FromPyTorchJob(j).status().field(), "spec.pytorchReplicaSpecs.Worker.restartPolicy");
}

TEST(PyTorchJobTest, WorkersMustMatchTheMaster) {
  json j = Sample();
  j["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["resources"]
   ["limits"]["nvidia.com/gpu"] = 2;
  EXPECT_EQ(FromPyTorchJob(j).status().field(),
            "spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].resources");
  j = Sample();
  j["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] = 2;
  EXPECT_EQ(FromPyTorchJob(j).status().field(), "spec.pytorchReplicaSpecs.Master.replicas");
}

TEST(PyTorchJobTest, ElasticPolicyBecomesTorchrunRendezvous) {
  json j = Sample();
  j["spec"]["elasticPolicy"] = {{"minReplicas", 2}, {"maxReplicas", 4}, {"maxRestarts", 5}};
  auto t = FromPyTorchJob(j);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->job["env"]["PET_NNODES"], "2:4");
  EXPECT_EQ(t->job["env"]["PET_RDZV_BACKEND"], "c10d");
  EXPECT_EQ(t->job["env"]["PET_MAX_RESTARTS"], "5");
  // The endpoint is rank 0's address, completed by the replica at start.
  EXPECT_EQ(t->job["command"][0], "/bin/sh");
  EXPECT_EQ(t->job["command"].back(), "1");
  j["spec"]["elasticPolicy"]["maxReplicas"] = 9;
  EXPECT_EQ(FromPyTorchJob(j).status().field(), "spec.elasticPolicy.maxReplicas");
}

TEST(PyTorchJobTest, BadQuantitiesAndSecretsAreErrors) {
  json j = Sample();
  j["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["resources"]
   ["limits"]["memory"] = "lots";
  EXPECT_EQ(FromPyTorchJob(j).status().field(),
            "spec.pytorchReplicaSpecs.Master.template.spec.containers[0].resources.limits.memory");
  j = Sample();
  j["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["env"][0] = {
      {"name", "TOKEN"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}}}}}};
  EXPECT_EQ(FromPyTorchJob(j).status().field(),
            "spec.pytorchReplicaSpecs.Master.template.spec.containers[0].env[0].valueFrom");
  j = Sample();
  j["apiVersion"] = "kubeflow.org/v2";
  EXPECT_EQ(FromPyTorchJob(j).status().field(), "apiVersion");
}

TEST(PyTorchJobTest, NulBytesAndHugeQuantitiesAreErrorsWithTheirPath) {
  const std::string master = "spec.pytorchReplicaSpecs.Master.template.spec.containers[0]";
  json j = Sample();
  j["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["args"][1] =
      std::string("1\0", 2);
  auto nul = FromPyTorchJob(j);
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.status().field(), master + ".args[1]");
  j = Sample();
  j["metadata"]["labels"][std::string("k\0", 2)] = "v";
  EXPECT_EQ(FromPyTorchJob(j).status().field(), std::string("metadata.labels.k\0", 18));
  j = Sample();
  j["metadata"]["name"] = 5;
  j["spec"]["elasticPolicy"] = {{"minReplicas", 1}};
  EXPECT_EQ(FromPyTorchJob(j).status().field(), "metadata.name");
  for (const json& cpu : {json(1e300), json("1e300"), json(-1), json("0m")}) {
    j = Sample();
    j["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["resources"]
     ["limits"]["cpu"] = cpu;
    EXPECT_EQ(FromPyTorchJob(j).status().field(), master + ".resources.limits.cpu") << cpu;
  }
  for (const json& memory : {json(1e300), json("1e300Ti"), json("-1Gi")}) {
    j = Sample();
    j["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["resources"]
     ["limits"]["memory"] = memory;
    EXPECT_EQ(FromPyTorchJob(j).status().field(), master + ".resources.limits.memory") << memory;
  }
}

TEST(PyTorchJobTest, ErrorsInTheJobAreNamedAtTheirPyTorchJobField) {
  auto t = FromPyTorchJob(Sample());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const std::string master = "spec.pytorchReplicaSpecs.Master.template.spec.containers[0]";
  EXPECT_EQ(t->container_path, master);
  EXPECT_EQ(t->AtPyTorchJobField(InvalidArgument("name", "bad")).field(), "metadata.name");
  EXPECT_EQ(t->AtPyTorchJobField(InvalidArgument("labels.k", "bad")).field(), "metadata.labels.k");
  EXPECT_EQ(t->AtPyTorchJobField(InvalidArgument("queue", "bad")).field(),
            "spec.runPolicy.schedulingPolicy.queue");
  EXPECT_EQ(t->AtPyTorchJobField(InvalidArgument("workdir", "bad")).field(),
            master + ".workingDir");
  EXPECT_EQ(t->AtPyTorchJobField(InvalidArgument("namespace", "bad")).field(), "namespace");
  EXPECT_EQ(t->AtPyTorchJobField(InvalidArgument("name", "bad")).message(), "bad");
}

}  // namespace
}  // namespace corral::train
