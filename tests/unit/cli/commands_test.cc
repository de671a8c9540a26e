#include "cli/commands.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/exit_codes.h"
#include "unit/cli/fake_http_client.h"

namespace corral::cli {
namespace {

using testing::FakeHttpClient;

const char* kJob12 = R"({"id": 12, "name": "t", "owner": "alice", "state": "pending",
                         "reason": "", "submitted_at": "2026-11-28T13:56:50.000Z"})";

class CommandsTest : public ::testing::Test {
 protected:
  CommandContext Context(OutputFormat format = OutputFormat::kDefault) {
    return CommandContext{
        api_, in_, out_, err_, clock_, format, [](std::string_view) -> std::optional<std::string> {
          return std::nullopt;
        }};
  }
  RunOptions RunTrue() {
    RunOptions options;
    options.flags.command = {"true"};
    options.flags.workdir = "/work";
    return options;
  }

  FakeHttpClient http_;
  ApiClient api_{http_, Connection{"http://127.0.0.1:8080", "tok", "--token"}};
  std::istringstream in_;
  std::ostringstream out_, err_;
  FakeClock clock_{FromMillis(1'795'000'000'000)};
};

TEST_F(CommandsTest, RunPrintsJobId) {
  http_.Push(201, kJob12);
  auto ctx = Context();
  EXPECT_EQ(RunCommand(ctx, RunTrue()), kExitOk);
  EXPECT_EQ(out_.str(), "12\n");
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].url, "http://127.0.0.1:8080/api/v1/jobs");
  auto body = nlohmann::json::parse(http_.requests[0].body);
  EXPECT_EQ(body["command"], nlohmann::json::array({"true"}));
  EXPECT_EQ(body["workdir"], "/work");
}

TEST_F(CommandsTest, RunJsonPrintsJobObject) {
  http_.Push(201, kJob12);
  auto ctx = Context(OutputFormat::kJson);
  EXPECT_EQ(RunCommand(ctx, RunTrue()), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["owner"], "alice");
}

TEST_F(CommandsTest, RunWithoutCommandIsUsageErrorAndSendsNothing) {
  auto ctx = Context();
  RunOptions options;
  EXPECT_EQ(RunCommand(ctx, options), kExitUsage);
  EXPECT_TRUE(http_.requests.empty());
  EXPECT_NE(err_.str().find("no command to run"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, RunShowsServerValidationError) {
  http_.Push(400, R"({"error": {"code": "invalid_argument", "message": "must be >= 0",
                      "details": {"field": "resources.gpus"}}})");
  auto ctx = Context();
  EXPECT_EQ(RunCommand(ctx, RunTrue()), kExitFailure);
  EXPECT_EQ(err_.str(), "corral: resources.gpus: must be >= 0\n");
}

TEST_F(CommandsTest, RunInfeasibleSaysItNeverFits) {
  http_.Push(422, R"({"error": {"code": "infeasible", "message": "no node has 16 GPUs"}})");
  auto ctx = Context();
  EXPECT_EQ(RunCommand(ctx, RunTrue()), kExitFailure);
  EXPECT_NE(err_.str().find("can never be satisfied"), std::string::npos);
  EXPECT_NE(err_.str().find("no node has 16 GPUs"), std::string::npos);
}

TEST_F(CommandsTest, RunFollowStreamsOutputAndExitsWithJobCode) {
  http_.Push(201, kJob12);
  http_.PushStream({"event: log\ndata: hello\n\nevent: log\ndata: wor", "ld\n\n",
                    "event: end\ndata: {\"state\": \"failed\", \"exit_code\": 3}\n\n"});
  http_.Push(200, R"({"id": 12, "state": "failed", "exit_code": 3, "reason": "exited with 3"})");
  auto ctx = Context();
  RunOptions options = RunTrue();
  options.follow = true;
  EXPECT_EQ(RunCommand(ctx, options), 3);
  EXPECT_EQ(out_.str(), "hello\nworld\n");
  EXPECT_EQ(http_.requests[1].url, "http://127.0.0.1:8080/api/v1/jobs/12/logs?follow=true");
  EXPECT_NE(err_.str().find("job 12 failed: exited with 3 (exit status 3)"), std::string::npos)
      << err_.str();
}

TEST_F(CommandsTest, RunFollowSucceededNeedsNoExtraRequest) {
  http_.Push(201, kJob12);
  http_.PushStream(
      {"event: log\ndata: ok\n\nevent: end\ndata: {\"state\": \"succeeded\", "
       "\"exit_code\": 0}\n\n"});
  auto ctx = Context();
  RunOptions options = RunTrue();
  options.follow = true;
  EXPECT_EQ(RunCommand(ctx, options), 0);
  EXPECT_EQ(http_.requests.size(), 2u);
}

TEST_F(CommandsTest, RunFollowKilledJobExitsWith128PlusSignal) {
  http_.Push(201, kJob12);
  http_.PushStream({"event: end\ndata: {\"state\": \"failed\", \"exit_code\": null}\n\n"});
  http_.Push(200, R"({"id": 12, "state": "failed", "exit_code": null, "reason": "time limit",
                      "attempts": [{"replicas": [{"exit_code": null, "signal": 9}]}]})");
  auto ctx = Context();
  RunOptions options = RunTrue();
  options.follow = true;
  EXPECT_EQ(RunCommand(ctx, options), 137);
}

TEST_F(CommandsTest, RunFollowStreamClosedEarly) {
  http_.Push(201, kJob12);
  http_.PushStream({"event: log\ndata: partial\n\n"});
  http_.Push(200, R"({"id": 12, "state": "running"})");
  auto ctx = Context();
  RunOptions options = RunTrue();
  options.follow = true;
  EXPECT_EQ(RunCommand(ctx, options), kExitUnreachable);
  EXPECT_NE(err_.str().find("corral logs -f 12"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, RunFollowRejectsOutputFormat) {
  auto ctx = Context(OutputFormat::kJson);
  RunOptions options = RunTrue();
  options.follow = true;
  EXPECT_EQ(RunCommand(ctx, options), kExitUsage);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(CommandsTest, RunSpecFileIsSentVerbatim) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("corral-spec-" + std::to_string(::getpid()) + ".yaml"))
                         .string();
  const std::string spec = "command: [python3, train.py]\nresources: {gpus: 1}\n";
  { std::ofstream(path) << spec; }
  http_.Push(201, kJob12);
  auto ctx = Context();
  RunOptions options;
  options.spec_file = path;
  EXPECT_EQ(RunCommand(ctx, options), kExitOk);
  std::filesystem::remove(path);
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].body, spec);
  EXPECT_EQ(http_.Header(0, "Content-Type"), "application/yaml");
}

TEST_F(CommandsTest, RunScriptFromStdin) {
  in_.str("echo from stdin\n");
  http_.Push(201, kJob12);
  auto ctx = Context();
  RunOptions options;
  options.script_file = "-";
  EXPECT_EQ(RunCommand(ctx, options), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(http_.requests[0].body)["script"], "echo from stdin\n");
}

TEST_F(CommandsTest, RunMissingSpecFileIsUsageError) {
  auto ctx = Context();
  RunOptions options;
  options.spec_file = "/nonexistent/spec.yaml";
  EXPECT_EQ(RunCommand(ctx, options), kExitUsage);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(CommandsTest, PsFollowsCursorsAndFiltersLiveStates) {
  http_.Push(200, R"({"jobs": [{"id": 3, "state": "running"}], "next_cursor": "c1"})");
  http_.Push(200, R"({"jobs": [{"id": 2, "state": "pending"}], "next_cursor": null})");
  auto ctx = Context(OutputFormat::kJson);
  PsOptions options;
  options.user = "bob";
  options.labels = {"team=a"};
  EXPECT_EQ(PsCommand(ctx, options), kExitOk);
  ASSERT_EQ(http_.requests.size(), 2u);
  EXPECT_EQ(http_.requests[0].url,
            "http://127.0.0.1:8080/api/v1/jobs?state=pending%2Cstarting%2Crunning%2Cpreempted"
            "&owner=bob&label=team%3Da&limit=100");
  EXPECT_NE(http_.requests[1].url.find("&cursor=c1"), std::string::npos);
  auto printed = nlohmann::json::parse(out_.str());
  ASSERT_EQ(printed["jobs"].size(), 2u);
  EXPECT_EQ(printed["jobs"][1]["id"], 2);
}

TEST_F(CommandsTest, PsAllWithLimitStopsEarly) {
  http_.Push(200, R"({"jobs": [{"id": 9}, {"id": 8}], "next_cursor": "c1"})");
  auto ctx = Context(OutputFormat::kJson);
  PsOptions options;
  options.all = true;
  options.limit = 2;
  EXPECT_EQ(PsCommand(ctx, options), kExitOk);
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].url, "http://127.0.0.1:8080/api/v1/jobs?limit=2");
  EXPECT_EQ(nlohmann::json::parse(out_.str())["jobs"].size(), 2u);
}

TEST_F(CommandsTest, PsRepeatedCursorDoesNotLoop) {
  http_.Push(200, R"({"jobs": [{"id": 9}], "next_cursor": "same"})");
  http_.Push(200, R"({"jobs": [{"id": 8}], "next_cursor": "same"})");
  auto ctx = Context(OutputFormat::kJson);
  EXPECT_EQ(PsCommand(ctx, PsOptions{}), kExitOk);
  EXPECT_EQ(http_.requests.size(), 2u);
}

TEST_F(CommandsTest, PsEmptySaysSoOnStderr) {
  http_.Push(200, R"({"jobs": [], "next_cursor": null})");
  auto ctx = Context();
  EXPECT_EQ(PsCommand(ctx, PsOptions{}), kExitOk);
  EXPECT_EQ(out_.str(), "");
  EXPECT_NE(err_.str().find("No active jobs"), std::string::npos);
}

TEST_F(CommandsTest, DescribeNotFound) {
  http_.Push(404, R"({"error": {"code": "not_found", "message": "job 99 not found"}})");
  auto ctx = Context();
  EXPECT_EQ(DescribeCommand(ctx, "99"), kExitFailure);
  EXPECT_EQ(err_.str(), "corral: job 99 not found\n");
}

TEST_F(CommandsTest, DescribeYaml) {
  http_.Push(200, kJob12);
  auto ctx = Context(OutputFormat::kYaml);
  EXPECT_EQ(DescribeCommand(ctx, "12"), kExitOk);
  EXPECT_NE(out_.str().find("owner: alice\n"), std::string::npos) << out_.str();
}

TEST_F(CommandsTest, CancelContinuesPastAnEndedJob) {
  http_.Push(200, R"({"id": 1, "state": "cancelled"})");
  http_.Push(409, R"({"error": {"code": "failed_precondition", "message": "already ended"}})");
  http_.Push(200, R"({"id": 3, "state": "running"})");
  auto ctx = Context();
  EXPECT_EQ(CancelCommand(ctx, {"1", "2", "3"}), kExitFailure);
  EXPECT_EQ(out_.str(), "job 1 cancelled\njob 3 cancelling (running)\n");
  EXPECT_EQ(err_.str(), "corral: job 2: already ended\n");
  EXPECT_EQ(http_.requests[1].url, "http://127.0.0.1:8080/api/v1/jobs/2/cancel");
  EXPECT_EQ(http_.requests[1].method, "POST");
}

TEST_F(CommandsTest, LogsPrintsTextAndFollowExitsZeroWhateverTheJob) {
  http_.Push(200, "line 1\nline 2\n", "text/plain");
  auto ctx = Context();
  LogsOptions options{"12", false, 1, 2, std::nullopt};
  EXPECT_EQ(LogsCommand(ctx, options), kExitOk);
  EXPECT_EQ(out_.str(), "line 1\nline 2\n");
  EXPECT_EQ(http_.requests[0].url, "http://127.0.0.1:8080/api/v1/jobs/12/logs?replica=1&attempt=2");

  http_.PushStream({"event: log\ndata: x\n\nevent: end\ndata: {\"state\":\"failed\"}\n\n"});
  options.follow = true;
  EXPECT_EQ(LogsCommand(ctx, options), kExitOk);
  EXPECT_EQ(out_.str(), "line 1\nline 2\nx\n");
}

TEST_F(CommandsTest, LogsTailAsksTheServerForTheLastLines) {
  http_.Push(200, "last\n", "text/plain");
  auto ctx = Context();
  LogsOptions options{"12", false, std::nullopt, std::nullopt, 1};
  EXPECT_EQ(LogsCommand(ctx, options), kExitOk);
  EXPECT_EQ(out_.str(), "last\n");
  EXPECT_EQ(http_.requests[0].url, "http://127.0.0.1:8080/api/v1/jobs/12/logs?tail=1");
}

TEST_F(CommandsTest, RejectedTokenIsAuthFailure) {
  http_.Push(401, R"({"error": {"code": "unauthenticated", "message": "bad token"}})");
  auto ctx = Context();
  EXPECT_EQ(NodesCommand(ctx), kExitAuth);
  EXPECT_EQ(err_.str(),
            "corral: the server rejected the token (401); run `corral login` (the token came "
            "from --token)\n");
}

TEST_F(CommandsTest, UnreachableServer) {
  http_.PushUnreachable("Connection refused");
  auto ctx = Context();
  EXPECT_EQ(WhoamiCommand(ctx), kExitUnreachable);
  EXPECT_EQ(err_.str(),
            "corral: cannot reach the Corral server at http://127.0.0.1:8080 (Connection "
            "refused); is `corral server` running?\n");
}

TEST_F(CommandsTest, LoginSavesOnlyAVerifiedToken) {
  std::string dir =
      (std::filesystem::temp_directory_path() / ("corral-login-" + std::to_string(::getpid())))
          .string();
  std::string path = dir + "/corral/config.json";
  auto ctx = Context();

  http_.Push(401, R"({"error": {"code": "unauthenticated", "message": "bad token"}})");
  EXPECT_EQ(LoginCommand(ctx, LoginOptions{path}), kExitAuth);
  EXPECT_FALSE(std::filesystem::exists(path));

  http_.Push(200, R"({"name": "alice", "role": "admin"})");
  EXPECT_EQ(LoginCommand(ctx, LoginOptions{path}), kExitOk);
  auto saved = LoadConfigFile(path);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(saved.ok());
  ASSERT_TRUE(saved->has_value());
  EXPECT_EQ((*saved)->url, "http://127.0.0.1:8080");
  EXPECT_EQ((*saved)->token, "tok");
  EXPECT_NE(out_.str().find("as alice (admin)"), std::string::npos);
}

TEST_F(CommandsTest, CreateUserPrintsOnlyTheTokenOnStdout) {
  http_.Push(201, R"({"user": {"name": "bob", "role": "admin"}, "token": "corral_abc"})");
  auto ctx = Context();
  EXPECT_EQ(CreateUserCommand(ctx, "bob", true), kExitOk);
  EXPECT_EQ(out_.str(), "corral_abc\n");
  EXPECT_EQ(nlohmann::json::parse(http_.requests[0].body),
            nlohmann::json::parse(R"({"name": "bob", "role": "admin"})"));
  EXPECT_NE(err_.str().find("shown only this once"), std::string::npos);
}

TEST_F(CommandsTest, PermissionDeniedIsAuthFailure) {
  http_.Push(403, R"({"error": {"code": "permission_denied", "message": "admins only"}})");
  auto ctx = Context();
  EXPECT_EQ(CreateUserCommand(ctx, "bob", false), kExitAuth);
  EXPECT_EQ(err_.str(), "corral: permission denied (403): admins only\n");
}

}  // namespace
}  // namespace corral::cli
