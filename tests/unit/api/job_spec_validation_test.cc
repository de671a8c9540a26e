#include <gtest/gtest.h>

#include "api/job_json.h"
#include "api/json_reader.h"
#include "api/queue_json.h"

namespace corral::api {
namespace {

using nlohmann::json;

std::string FieldOf(const json& body) {
  auto spec = ParseJobSpec(body);
  return spec.ok() ? "(accepted)" : spec.status().field();
}

TEST(JobSpecValidation, AcceptsAPlainSpec) {
  auto spec = ParseJobSpec(json{{"command", {"sh", "-c", "echo hi\nexit 0"}},
                                {"env", {{"A_1", "x\ty"}}},
                                {"labels", {{"team", "ml"}}},
                                {"workdir", "/home/me/proj"}});
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->env.at("A_1"), "x\ty");
}

TEST(JobSpecValidation, NulBytesAreRefusedWhereverTheyAre) {
  std::string nul("a\0b", 3);
  EXPECT_EQ(FieldOf({{"command", {"echo", nul}}}), "command[1]");
  EXPECT_EQ(FieldOf({{"script", nul}}), "script");
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"env", {{"K", nul}}}}), "env.K");
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"workdir", "/tmp/" + nul}}), "workdir");
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"labels", {{"k", nul}}}}), "labels.k");
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"labels", {{nul, "v"}}}}), "labels." + nul);
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"name", nul}}), "name");
}

TEST(JobSpecValidation, PathsAndNamesMustBeTame) {
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"workdir", "/a/../b"}}), "workdir");
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"name", "../x"}}), "name");
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"name", "a\nb"}}), "name");
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"queue", "q/../../x"}}), "queue");
}

TEST(JobSpecValidation, CountsAreBounded) {
  json labels = json::object();
  for (int i = 0; i < 60000; ++i) labels["k" + std::to_string(i)] = "v";
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"labels", labels}}), "labels");
  json env = json::object();
  for (int i = 0; i < 1025; ++i) env["K" + std::to_string(i)] = "v";
  EXPECT_EQ(FieldOf({{"command", {"true"}}, {"env", env}}), "env");
  EXPECT_EQ(FieldOf({{"command", json(std::vector<std::string>(4097, "x"))}}), "command");
}

TEST(JobSpecValidation, QueueNamesFollowTheSameRules) {
  auto q = ParseQueues(json{{"queues", {{{"name", "a..b"}}}}});
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().field(), "queues[0].name");
}

TEST(JobSpecValidation, YamlBodiesMeetTheSameRules) {
  auto body = ParseBody("command: [echo, hi]\nworkdir: /a/./b\n", "application/yaml");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(FieldOf(*body), "workdir");
}

}  // namespace
}  // namespace corral::api
