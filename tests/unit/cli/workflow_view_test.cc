#include "cli/workflow_view.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/time_format.h"
#include "cli/workflow_command.h"

namespace corral::cli {
namespace {

using nlohmann::json;

TimePoint At(const char* text) { return *ParseTimestamp(text); }

json Diamond() {
  return json::parse(R"({
    "id": 7, "name": "diamond-x1", "owner": "alice", "phase": "Failed", "message": "child failed",
    "created_at": "2026-12-01T10:00:00Z", "started_at": "2026-12-01T10:00:01Z",
    "finished_at": "2026-12-01T10:00:31Z", "progress": "3/4",
    "outputs": {"parameters": [{"name": "best", "value": "0.1"}], "artifacts": []},
    "nodes": [
      {"id": "diamond-x1", "name": "diamond-x1", "display_name": "diamond-x1", "type": "DAG",
       "template_name": "diamond", "phase": "Failed", "children": ["diamond-x1-a"],
       "started_at": "2026-12-01T10:00:01Z", "finished_at": "2026-12-01T10:00:31Z"},
      {"id": "diamond-x1-a", "name": "diamond-x1.A", "display_name": "A", "type": "Pod",
       "template_name": "echo", "phase": "Succeeded", "job_id": 11,
       "children": ["diamond-x1-b", "diamond-x1-c"],
       "started_at": "2026-12-01T10:00:01Z", "finished_at": "2026-12-01T10:00:03Z"},
      {"id": "diamond-x1-b", "name": "diamond-x1.B", "display_name": "B", "type": "Pod",
       "template_name": "echo", "phase": "Failed", "message": "exit code 1", "job_id": 12,
       "children": ["diamond-x1-d"],
       "started_at": "2026-12-01T10:00:03Z", "finished_at": "2026-12-01T10:01:33Z"},
      {"id": "diamond-x1-c", "name": "diamond-x1.C", "display_name": "C", "type": "Pod",
       "template_name": "echo", "phase": "Succeeded", "job_id": 13, "children": ["diamond-x1-d"],
       "started_at": "2026-12-01T10:00:03Z", "finished_at": "2026-12-01T10:00:04Z"},
      {"id": "diamond-x1-d", "name": "diamond-x1.D", "display_name": "D", "type": "Pod",
       "template_name": "echo", "phase": "Omitted", "children": []},
      {"id": "diamond-x1-exit", "name": "diamond-x1.onExit", "display_name": "diamond-x1.onExit",
       "type": "Pod", "template_name": "cleanup", "phase": "Running", "job_id": 14,
       "started_at": "2026-12-01T10:00:31Z"}
    ]})");
}

TEST(WorkflowViewTest, TreeDrawsEachNodeOnceUnderItsFirstParentThenExitHandlers) {
  std::string tree = RenderNodeTree(Diamond(), At("2026-12-01T10:00:36Z"));
  EXPECT_EQ(tree,
            "STEP                   TEMPLATE   JOB      DURATION   MESSAGE\n"
            " ✖ diamond-x1          diamond             30s\n"
            " └─✔ A                 echo       job 11   2s\n"
            "   ├─✖ B               echo       job 12   1m30s      exit code 1\n"
            "   │ └─○ D             echo                           Omitted\n"
            "   └─✔ C               echo       job 13   1s\n"
            " ● diamond-x1.onExit   cleanup    job 14   5s\n")
      << tree;
}

TEST(WorkflowViewTest, SummaryHasPhaseProgressDurationAndOutputs) {
  std::string text = RenderWorkflowSummary(Diamond(), At("2026-12-01T10:01:00Z"));
  EXPECT_NE(text.find("Name:        diamond-x1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Phase:       Failed\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Duration:    30s\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Progress:    3/4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Outputs:     best=0.1\n"), std::string::npos) << text;
}

TEST(WorkflowViewTest, DotHasEveryNodeAndEdgeWithQuotedLabels) {
  json wf = Diamond();
  wf["nodes"][1]["display_name"] = "say \"A\"";
  std::string dot = WorkflowDot(wf);
  EXPECT_EQ(dot.rfind("digraph \"diamond-x1\" {\n", 0), 0u) << dot;
  EXPECT_NE(dot.find("\"diamond-x1-a\" [label=\"say \\\"A\\\"\\nSucceeded\""), std::string::npos)
      << dot;
  for (const char* edge :
       {"\"diamond-x1\" -> \"diamond-x1-a\";", "\"diamond-x1-a\" -> \"diamond-x1-b\";",
        "\"diamond-x1-b\" -> \"diamond-x1-d\";", "\"diamond-x1-c\" -> \"diamond-x1-d\";"}) {
    EXPECT_NE(dot.find(edge), std::string::npos) << edge;
  }
  EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
}

TEST(WorkflowViewTest, SpecGraphHasDagDependsAndStepGroupOrder) {
  json doc = json::parse(R"J(
    {"metadata": {"generateName": "g-"}, "spec": {"entrypoint": "main", "templates": [
      {"name": "main", "dag": {"tasks": [
        {"name": "a", "template": "say"},
        {"name": "b", "template": "say", "depends": "a.Succeeded || a.Failed",
         "withItems": [1, 2]},
        {"name": "c", "template": "steps", "dependencies": ["a"]},
        {"name": "d", "template": "say", "depends": "(b && !c.Failed)"}]}},
      {"name": "steps", "steps": [[{"name": "s1", "template": "say"}],
                                  [{"name": "s2", "template": "say"},
                                   {"name": "s3", "template": "say", "when": "x == y"}],
                                  [{"name": "s4", "template": "say"}]]},
      {"name": "say", "container": {"image": "alpine"}}]}})J");
  std::string dot = SpecDot(doc);
  for (const char* line :
       {"label=\"main (entrypoint)\"", "\"main/a\" -> \"main/b\";", "\"main/a\" -> \"main/c\";",
        "\"main/b\" -> \"main/d\";", "\"main/c\" -> \"main/d\";", "\"steps/s1\" -> \"steps/s2\";",
        "\"steps/s1\" -> \"steps/s3\";", "\"steps/s2\" -> \"steps/s4\";",
        "\"steps/s3\" -> \"steps/s4\";", "b\\nsay\\n(loop)", "s3\\nsay\\nwhen x == y"}) {
    EXPECT_NE(dot.find(line), std::string::npos) << line << "\n" << dot;
  }
  EXPECT_EQ(dot.find("Succeeded"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("cluster_say"), std::string::npos) << dot;
}

TEST(WorkflowViewTest, ParameterOverridesReplaceOrAppend) {
  json doc = json::parse(R"({"kind": "Workflow", "spec": {"arguments": {"parameters": [
    {"name": "message", "value": "hi"}, {"name": "n", "value": "1"}]}}})");
  ASSERT_TRUE(ApplyParameterOverrides(doc, {"message=hello=world", "extra="}).ok());
  EXPECT_EQ(
      doc["spec"]["arguments"]["parameters"],
      json::parse(R"([{"name": "message", "value": "hello=world"}, {"name": "n", "value": "1"},
                            {"name": "extra", "value": ""}])"));
  json empty = json::parse(R"({"kind": "Workflow"})");
  ASSERT_TRUE(ApplyParameterOverrides(empty, {"a=1"}).ok());
  EXPECT_EQ(empty["spec"]["arguments"]["parameters"][0]["value"], "1");
  Status bad = ApplyParameterOverrides(doc, {"novalue"});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("novalue"), std::string::npos);
}

TEST(WorkflowViewTest, EmittedDocumentsSkipThePipelinesOwnOutput) {
  auto docs = ParseEmittedDocuments(
      "preparing\n{\"not\": \"a workflow\"}\n{\"kind\": \"WorkflowTemplate\", \"metadata\": {}}\n"
      "{broken\n{\"kind\": \"Workflow\", \"spec\": {}}\ndone\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0]["kind"], "WorkflowTemplate");
  EXPECT_EQ((*docs)[1]["kind"], "Workflow");
  EXPECT_FALSE(ParseEmittedDocuments("hello\n").ok());
}

TEST(WorkflowViewTest, YamlKeepsQuotedScalarsAsStrings) {
  auto doc =
      YamlToJson("a: 1\nb: \"1\"\nc: true\nd: ~\ne: 1.5\nf: [x, 'y']\ng: |\n  line\nh: 0.5.1\n");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ(*doc, json::parse(R"({"a": 1, "b": "1", "c": true, "d": null, "e": 1.5,
                                  "f": ["x", "y"], "g": "line\n", "h": "0.5.1"})"));
  auto bad = YamlToJson("a: [1, 2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line"), std::string::npos);
}

TEST(WorkflowViewTest, PythonSdkFoundBesideTheBuildTreeOrInShare) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("corral-sdk-" + std::to_string(::getpid()));
  fs::create_directories(root / "build");
  fs::create_directories(root / "python" / "corral");
  std::ofstream(root / "python" / "corral" / "workflow.py") << "\n";
  EXPECT_EQ(FindPythonSdk((root / "build" / "corral").string(), ""),
            fs::weakly_canonical(root / "python").string());
  EXPECT_EQ(FindPythonSdk((root / "build" / "corral").string(), "/elsewhere"), "/elsewhere");
  fs::path installed = root.string() + "-usr";  // away from root/python
  fs::create_directories(installed / "bin");
  fs::create_directories(installed / "share" / "corral" / "python" / "corral");
  EXPECT_EQ(FindPythonSdk((installed / "bin" / "corral").string(), ""), "");
  std::ofstream(installed / "share" / "corral" / "python" / "corral" / "workflow.py") << "\n";
  EXPECT_EQ(FindPythonSdk((installed / "bin" / "corral").string(), ""),
            fs::weakly_canonical(installed / "share" / "corral" / "python").string());
  fs::remove_all(root);
  fs::remove_all(installed);
}

}  // namespace
}  // namespace corral::cli
