#include "cli/job_request.h"

#include <gtest/gtest.h>

namespace corral::cli {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(BuildJobRequestTest, OnlyGivenFieldsAreSent) {
  RunFlags flags;
  flags.command = {"python3", "train.py", "--lr", "0.1"};
  flags.workdir = "/home/me/proj";
  auto body = BuildJobRequest(flags, FakeEnv({}));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, nlohmann::json::parse(R"({"command": ["python3", "train.py", "--lr", "0.1"],
                                             "workdir": "/home/me/proj"})"));
}

TEST(BuildJobRequestTest, EveryFlagMapsToItsApiField) {
  RunFlags flags;
  flags.command = {"sh", "-c", "echo hi"};
  flags.gpus = 2;
  flags.replicas = 3;
  flags.cpus = 4;
  flags.memory_mb = 8192;
  flags.name = "train";
  flags.env = {"A=1", "B=x=y", "HOME_DIR"};
  flags.priority = "high";
  flags.queue = "research";
  flags.time_limit = "1h30m";
  flags.retries = 2;
  flags.labels = {"team=a"};
  flags.preemptible = true;
  auto body = BuildJobRequest(flags, FakeEnv({{"HOME_DIR", "/home/me"}}));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, nlohmann::json::parse(R"({
    "name": "train", "command": ["sh", "-c", "echo hi"], "replicas": 3,
    "resources": {"gpus": 2, "cpus": 4, "memory_mb": 8192},
    "env": {"A": "1", "B": "x=y", "HOME_DIR": "/home/me"},
    "priority": "high", "queue": "research", "time_limit_s": 5400,
    "retry": {"max_retries": 2}, "labels": {"team": "a"}, "preemptible": true})"));
}

TEST(BuildJobRequestTest, ScriptInsteadOfCommand) {
  RunFlags flags;
  flags.script = "echo one\necho two\n";
  auto body = BuildJobRequest(flags, FakeEnv({}));
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["script"], "echo one\necho two\n");
  EXPECT_FALSE(body->contains("command"));
}

TEST(BuildJobRequestTest, UsageErrorsNameTheFlag) {
  RunFlags nothing;
  EXPECT_EQ(BuildJobRequest(nothing, FakeEnv({})).status().field(), "command");

  RunFlags both;
  both.command = {"true"};
  both.script = "true";
  EXPECT_EQ(BuildJobRequest(both, FakeEnv({})).status().field(), "--script");

  RunFlags bad_limit;
  bad_limit.command = {"true"};
  bad_limit.time_limit = "soon";
  auto limit = BuildJobRequest(bad_limit, FakeEnv({}));
  EXPECT_EQ(limit.status().field(), "--time-limit");
  EXPECT_NE(limit.status().message().find("soon"), std::string::npos);

  RunFlags unset_env;
  unset_env.command = {"true"};
  unset_env.env = {"NOT_SET_HERE"};
  EXPECT_EQ(BuildJobRequest(unset_env, FakeEnv({})).status().field(), "--env");

  RunFlags bad_label;
  bad_label.command = {"true"};
  bad_label.labels = {"=v"};
  EXPECT_EQ(BuildJobRequest(bad_label, FakeEnv({})).status().field(), "--label");
}

TEST(ParseKeyValueTest, SplitsAtFirstEquals) {
  auto kv = ParseKeyValue("a=b=c", "--env");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "a");
  EXPECT_EQ(kv->second, "b=c");
  EXPECT_EQ(ParseKeyValue("a=", "--env")->second, "");
  EXPECT_FALSE(ParseKeyValue("novalue", "--label").ok());
}

TEST(SpecFileContentTypeTest, ByExtensionThenByContent) {
  EXPECT_EQ(SpecFileContentType("job.json", "name: x"), "application/json");
  EXPECT_EQ(SpecFileContentType("job.yaml", "{}"), "application/yaml");
  EXPECT_EQ(SpecFileContentType("job.yml", ""), "application/yaml");
  EXPECT_EQ(SpecFileContentType("-", "  \n{\"command\": []}"), "application/json");
  EXPECT_EQ(SpecFileContentType("spec", "command: [true]"), "application/yaml");
}

}  // namespace
}  // namespace corral::cli
