#include "cli/workflow_command.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "unit/cli/fake_http_client.h"

namespace corral::cli {
namespace {

using nlohmann::json;
using testing::FakeHttpClient;

const char* kHelloYaml = R"(apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  arguments:
    parameters:
      - name: message
        value: "from the file"
  templates:
    - name: main
      container: {image: alpine:3, command: [echo, "{{workflow.parameters.message}}"]}
)";

const char* kFinished = R"({"id": 5, "name": "hello-abc", "phase": "Failed",
  "started_at": "2026-11-28T13:56:50Z", "finished_at": "2026-11-28T13:56:52Z",
  "nodes": [{"id": "hello-abc", "name": "hello-abc", "display_name": "hello-abc", "type": "Pod",
             "template_name": "main", "phase": "Failed", "message": "exit code 1",
             "started_at": "2026-11-28T13:56:50Z", "finished_at": "2026-11-28T13:56:52Z"}]})";

class WorkflowCommandTest : public ::testing::Test {
 protected:
  // Parses `corral workflow ARGS...` and runs it against the fake server.
  int Run(std::vector<std::string> args, OutputFormat format = OutputFormat::kDefault) {
    CLI::App app{"test"};
    WorkflowOptions options;
    options.poll_seconds = 0;
    CLI::App* workflow = AddWorkflowCommand(app, options);
    args.insert(args.begin(), "workflow");
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
    CommandContext ctx{api_,
                       in_,
                       out_,
                       err_,
                       clock_,
                       format,
                       [this](std::string_view name) -> std::optional<std::string> {
                         auto it = env_.find(std::string(name));
                         if (it == env_.end()) return std::nullopt;
                         return it->second;
                       }};
    return WorkflowCommand(ctx, *workflow, options);
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  FakeHttpClient http_;
  ApiClient api_{http_, Connection{"http://127.0.0.1:8080", "tok", "--token"}};
  std::istringstream in_;
  std::ostringstream out_, err_;
  FakeClock clock_{FromMillis(1'795'000'000'000)};
  std::map<std::string, std::string> env_;
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("corral-wf-cmd-" + std::to_string(::getpid()));
};

TEST_F(WorkflowCommandTest, SubmitSendsYamlAsWrittenAndPrintsIdAndWarnings) {
  http_.Push(201, R"({"id": 5, "name": "hello-abc", "warnings": ["spec.x: ignored"]})");
  EXPECT_EQ(Run({"submit", WriteFile("hello.yaml", kHelloYaml)}), kExitOk);
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].url, "http://127.0.0.1:8080/api/v1/workflows");
  EXPECT_EQ(http_.requests[0].body, kHelloYaml);
  EXPECT_EQ(http_.Header(0, "Content-Type"), "application/yaml");
  EXPECT_EQ(out_.str(), "workflow 5 submitted (hello-abc)\n");
  EXPECT_EQ(err_.str(), "warning: spec.x: ignored\n");
}

TEST_F(WorkflowCommandTest, ParameterFlagsRewriteTheSpecAsJson) {
  http_.Push(201, R"({"id": 5, "name": "hello-abc"})");
  EXPECT_EQ(Run({"submit", WriteFile("hello.yaml", kHelloYaml), "-p", "message=hi there", "-p",
                 "extra=1"}),
            kExitOk);
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.Header(0, "Content-Type"), "application/json");
  json sent = json::parse(http_.requests[0].body);
  EXPECT_EQ(sent["spec"]["arguments"]["parameters"],
            json::parse(R"([{"name": "message", "value": "hi there"},
                            {"name": "extra", "value": "1"}])"));
  EXPECT_EQ(sent["spec"]["templates"][0]["container"]["command"][1],
            "{{workflow.parameters.message}}");
}

TEST_F(WorkflowCommandTest, WatchExitsOneWhenTheWorkflowFailed) {
  http_.Push(201, R"({"id": 5, "name": "hello-abc"})");
  http_.Push(200, kFinished);
  EXPECT_EQ(Run({"submit", WriteFile("hello.yaml", kHelloYaml), "--watch"}), kExitFailure);
  EXPECT_EQ(http_.requests[1].url, "http://127.0.0.1:8080/api/v1/workflows/5");
  EXPECT_NE(out_.str().find("✖ hello-abc"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("Phase:       Failed"), std::string::npos) << out_.str();
}

TEST_F(WorkflowCommandTest, PythonPipelineIsRunAndWhatItPrintsIsSubmitted) {
  // No CORRAL_PYTHONPATH: the SDK is found from this binary's place in the build tree
  // (build/tests/cli_test -> python/).
  std::string py = WriteFile("p.py", R"(
from corral.workflow import DAG, Workflow, script

@script()
def hello(name: str):
    print("hello", name)

print("the pipeline's own output")
with Workflow(generate_name="py-", entrypoint="main") as w:
    with DAG(name="main"):
        hello(arguments={"name": "x"})
w.create()
)");
  http_.Push(201, R"({"id": 9, "name": "py-abc"})");
  EXPECT_EQ(Run({"submit", py, "-p", "p=1"}), kExitOk) << err_.str();
  ASSERT_EQ(http_.requests.size(), 1u);
  json sent = json::parse(http_.requests[0].body);
  EXPECT_EQ(sent["kind"], "Workflow");
  EXPECT_EQ(sent["spec"]["templates"][1]["name"], "hello");
  EXPECT_EQ(sent["spec"]["arguments"]["parameters"][0]["name"], "p");

  std::string failing = WriteFile("bad.py", "raise SystemExit(3)\n");
  EXPECT_EQ(Run({"submit", failing}), kExitUsage);
  EXPECT_NE(err_.str().find("exited with status 3"), std::string::npos) << err_.str();
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(WorkflowCommandTest, VerbsByNameResolveThroughTheList) {
  http_.Push(200, R"({"workflows": [{"id": 6, "name": "other"}, {"id": 5, "name": "hello-abc"}]})");
  http_.Push(200, R"({"id": 5, "name": "hello-abc", "phase": "Failed"})");
  EXPECT_EQ(Run({"stop", "hello-abc"}), kExitOk);
  EXPECT_EQ(http_.requests[1].method, "POST");
  EXPECT_EQ(http_.requests[1].url, "http://127.0.0.1:8080/api/v1/workflows/5/stop");
  EXPECT_EQ(out_.str(), "workflow 5 stopped\n");

  http_.Push(200, R"({"workflows": []})");
  EXPECT_EQ(Run({"get", "missing"}), kExitFailure);
  EXPECT_NE(err_.str().find("no workflow named \"missing\""), std::string::npos) << err_.str();
}

TEST_F(WorkflowCommandTest, ResubmitPrintsTheNewWorkflow) {
  http_.Push(201, R"({"id": 8, "name": "hello-new"})");
  EXPECT_EQ(Run({"resubmit", "5"}), kExitOk);
  EXPECT_EQ(out_.str(), "workflow 5 resubmitted as 8 (hello-new)\n");
}

TEST_F(WorkflowCommandTest, LogsAskForOneNode) {
  http_.Push(200, "hello\n", "text/plain");
  EXPECT_EQ(Run({"logs", "5", "--node", "step a"}), kExitOk);
  EXPECT_EQ(http_.requests[0].url, "http://127.0.0.1:8080/api/v1/workflows/5/logs?node=step%20a");
  EXPECT_EQ(out_.str(), "hello\n");
}

TEST_F(WorkflowCommandTest, LogsFollowPrintsEachNodesNewLinesOnce) {
  const char* running = R"({"id": 5, "phase": "Running", "nodes": [
    {"id": "n1", "display_name": "a", "type": "Pod", "started_at": "2026-11-28T13:56:50Z"}]})";
  const char* done = R"({"id": 5, "phase": "Succeeded", "nodes": [
    {"id": "n1", "display_name": "a", "type": "Pod", "started_at": "2026-11-28T13:56:50Z",
     "finished_at": "2026-11-28T13:56:51Z"}]})";
  http_.Push(200, running);
  http_.Push(200, "one\ntw", "text/plain");
  http_.Push(200, done);
  http_.Push(200, "one\ntwo\nthree", "text/plain");
  EXPECT_EQ(Run({"logs", "5", "-f"}), kExitOk);
  EXPECT_EQ(out_.str(), "[a] one\n[a] two\n[a] three\n");
  EXPECT_EQ(http_.replies_left(), 0u);
}

TEST_F(WorkflowCommandTest, TemplateDeleteNamesTheKind) {
  http_.Push(200, "{}");
  EXPECT_EQ(Run({"template", "delete", "shared", "--cluster"}), kExitOk);
  EXPECT_EQ(http_.requests[0].method, "DELETE");
  EXPECT_EQ(http_.requests[0].url,
            "http://127.0.0.1:8080/api/v1/workflow-templates/clusterworkflowtemplate/shared");
}

TEST_F(WorkflowCommandTest, ServerRejectionIsExitOneWithThePath) {
  http_.Push(400, R"({"error": {"code": "invalid_argument",
    "message": "spec.templates[0].dag.tasks[1].depends: cycle a -> b -> a",
    "details": {"field": "spec.templates[0].dag.tasks[1].depends"}}})");
  EXPECT_EQ(Run({"submit", WriteFile("c.yaml", kHelloYaml)}), kExitFailure);
  EXPECT_NE(err_.str().find("spec.templates[0].dag.tasks[1].depends"), std::string::npos)
      << err_.str();
}

TEST_F(WorkflowCommandTest, MissingFileIsAUsageError) {
  EXPECT_EQ(Run({"submit", (dir_ / "nope.yaml").string()}), kExitUsage);
  EXPECT_NE(err_.str().find("nope.yaml"), std::string::npos);
  EXPECT_TRUE(http_.requests.empty());
}

}  // namespace
}  // namespace corral::cli
