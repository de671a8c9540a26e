#include "store/job_codec.h"

#include <gtest/gtest.h>

namespace corral::store {
namespace {

JobSpec FullSpec() {
  JobSpec spec;
  spec.name = "train \"quoted\" ünïcode";
  spec.command = {"python3", "train.py", "--lr", "0.1"};
  spec.replicas = 4;
  spec.resources = {.gpus = 2, .cpus = 8, .memory_mb = 65536};
  spec.env = {{"A", "1"}, {"EMPTY", ""}};
  spec.workdir = "/home/me/proj";
  spec.priority = PriorityClass::kOpportunistic;
  spec.queue = "research";
  spec.time_limit = Duration(3'600'000);
  spec.retry = {.max_retries = 3, .retry_on_preemption = false, .exit_codes = "128-255"};
  spec.labels = {{"team", "a"}, {"sweep", "lr"}};
  spec.preemptible = true;
  return spec;
}

TEST(JobCodecTest, SpecRoundTripsEveryField) {
  JobSpec spec = FullSpec();
  auto decoded = DecodeJobSpec(EncodeJobSpec(spec));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->name, spec.name);
  EXPECT_EQ(decoded->command, spec.command);
  EXPECT_EQ(decoded->script, "");
  EXPECT_EQ(decoded->replicas, 4);
  EXPECT_EQ(decoded->resources.gpus, 2);
  EXPECT_EQ(decoded->resources.cpus, 8);
  EXPECT_EQ(decoded->resources.memory_mb, 65536);
  EXPECT_EQ(decoded->env, spec.env);
  EXPECT_EQ(decoded->workdir, spec.workdir);
  EXPECT_EQ(decoded->priority, PriorityClass::kOpportunistic);
  EXPECT_EQ(decoded->queue, "research");
  EXPECT_EQ(decoded->time_limit, Duration(3'600'000));
  EXPECT_EQ(decoded->retry.max_retries, 3);
  EXPECT_FALSE(decoded->retry.retry_on_preemption);
  EXPECT_EQ(decoded->retry.exit_codes, "128-255");
  EXPECT_EQ(decoded->labels, spec.labels);
  EXPECT_TRUE(decoded->preemptible);
}

TEST(JobCodecTest, ScriptSpecWithoutOptionalsRoundTrips) {
  JobSpec spec;
  spec.script = "echo hi\nexit 3\n";
  auto decoded = DecodeJobSpec(EncodeJobSpec(spec));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->command.empty());
  EXPECT_EQ(decoded->script, spec.script);
  EXPECT_FALSE(decoded->time_limit.has_value());
  EXPECT_EQ(decoded->priority, PriorityClass::kNormal);
  EXPECT_EQ(decoded->queue, "default");
  EXPECT_TRUE(decoded->retry.retry_on_preemption);
}

TEST(JobCodecTest, EmptyHistoryEncodesAsEmptyText) {
  EXPECT_EQ(EncodeAttempts({}), "");
  auto decoded = DecodeAttempts("");
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(JobCodecTest, AttemptsRoundTripWithOptionalsSetAndUnset) {
  Attempt first;
  first.number = 1;
  first.started_at = FromMillis(1000);
  first.ended_at = FromMillis(2000);
  first.exit_code = 137;
  first.end_reason = "preempted";
  ReplicaRun r0;
  r0.index = 0;
  r0.placement = {"node-a", {0, 1}};
  r0.external_id = "1234@99";
  r0.state = ReplicaState::kExited;
  r0.started_at = FromMillis(1001);
  r0.ended_at = FromMillis(1999);
  r0.term_signal = 9;
  first.replicas.push_back(r0);
  Attempt second;
  second.number = 2;
  ReplicaRun r1;
  r1.index = 1;
  r1.state = ReplicaState::kRunning;
  second.replicas.push_back(r1);

  auto decoded = DecodeAttempts(EncodeAttempts({first, second}));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 2u);
  const Attempt& a = (*decoded)[0];
  EXPECT_EQ(a.number, 1);
  EXPECT_EQ(a.started_at, FromMillis(1000));
  EXPECT_EQ(a.ended_at, FromMillis(2000));
  EXPECT_EQ(a.exit_code, 137);
  EXPECT_EQ(a.end_reason, "preempted");
  ASSERT_EQ(a.replicas.size(), 1u);
  EXPECT_EQ(a.replicas[0].placement.node, "node-a");
  EXPECT_EQ(a.replicas[0].placement.gpus, (std::vector<int>{0, 1}));
  EXPECT_EQ(a.replicas[0].external_id, "1234@99");
  EXPECT_EQ(a.replicas[0].state, ReplicaState::kExited);
  EXPECT_EQ(a.replicas[0].started_at, FromMillis(1001));
  EXPECT_EQ(a.replicas[0].ended_at, FromMillis(1999));
  EXPECT_FALSE(a.replicas[0].exit_code.has_value());
  EXPECT_EQ(a.replicas[0].term_signal, 9);
  const Attempt& b = (*decoded)[1];
  EXPECT_EQ(b.number, 2);
  EXPECT_FALSE(b.started_at.has_value());
  EXPECT_FALSE(b.exit_code.has_value());
  ASSERT_EQ(b.replicas.size(), 1u);
  EXPECT_EQ(b.replicas[0].index, 1);
  EXPECT_EQ(b.replicas[0].state, ReplicaState::kRunning);
  EXPECT_FALSE(b.replicas[0].term_signal.has_value());
}

TEST(JobCodecTest, CorruptTextIsAnInternalError) {
  auto spec = DecodeJobSpec("{not json");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInternal);
  auto wrong_type = DecodeJobSpec(R"({"replicas": "four"})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().code(), StatusCode::kInternal);
  auto bad_priority = DecodeJobSpec(R"({"priority": "urgent"})");
  EXPECT_FALSE(bad_priority.ok());
  auto attempts = DecodeAttempts(R"([{"replicas": [{"state": "zombie"}]}])");
  ASSERT_FALSE(attempts.ok());
  EXPECT_EQ(attempts.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace corral::store
