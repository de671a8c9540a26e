#include "workflow/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/clock.h"

namespace corral::workflow {
namespace {

using nlohmann::json;

class FakeServices final : public EngineServices {
 public:
  std::optional<std::string> MemoGet(const std::string& cache, const std::string& key,
                                     std::optional<int64_t>) override {
    auto it = memo.find(cache + "/" + key);
    if (it == memo.end()) return std::nullopt;
    return it->second;
  }
  void MemoPut(const std::string& cache, const std::string& key,
               const std::string& outputs) override {
    memo[cache + "/" + key] = outputs;
  }
  bool Acquire(const std::string& lock, const std::string& holder, int limit) override {
    auto& h = locks[lock];
    if (h.count(holder)) return true;
    if (static_cast<int>(h.size()) >= limit) return false;
    h.insert(holder);
    return true;
  }
  void Release(const std::string& lock, const std::string& holder) override {
    locks[lock].erase(holder);
  }
  std::map<std::string, std::string> memo;
  std::map<std::string, std::set<std::string>> locks;
};

// Drives an engine like the controller does: every started pod gets a job id at once.
class Driver {
 public:
  explicit Driver(json spec, std::string name = "wf")
      : engine(std::make_unique<WorkflowEngine>(std::move(name), std::move(spec), json::object(),
                                                clock.Now())) {}

  std::vector<PodRequest> Operate() {
    std::vector<PodRequest> started;
    for (auto& a : engine->Operate(clock.Now(), services)) {
      if (a.kind == Action::Kind::kStartPod) {
        engine->OnPodJob(a.pod.node_id, next_job++);
        running[a.pod.display_name] = a.pod;
        started.push_back(a.pod);
      } else {
        cancelled.push_back(a.node_id);
      }
    }
    return started;
  }

  // Ends the running pod shown as `display` and operates again.
  std::vector<PodRequest> Exit(const std::string& display, int code, const std::string& out = "",
                               std::map<std::string, std::string> params = {}) {
    auto it = running.find(display);
    EXPECT_NE(it, running.end()) << "no running pod " << display;
    if (it == running.end()) return {};
    PodExit exit;
    exit.exit_code = code;
    exit.stdout_text = out;
    exit.parameters = std::move(params);
    engine->OnPodStarted(it->second.node_id, clock.Now());
    clock.Advance(Duration(10));
    engine->OnPodExited(it->second.node_id, exit, clock.Now());
    running.erase(it);
    return Operate();
  }

  const Node& ByDisplay(const std::string& display) const {
    for (const auto& n : engine->nodes())
      if (n->display_name == display) return *n;
    ADD_FAILURE() << "no node " << display;
    static Node none;
    return none;
  }

  int Count(NodeType t) const {
    int k = 0;
    for (const auto& n : engine->nodes()) k += n->type == t;
    return k;
  }

  FakeClock clock;
  FakeServices services;
  std::unique_ptr<WorkflowEngine> engine;
  std::map<std::string, PodRequest> running;
  std::vector<std::string> cancelled;
  int64_t next_job = 1;
};

json Container(const std::string& name, std::vector<std::string> args,
               json extra = json::object()) {
  json t = {{"name", name},
            {"container", {{"image", "alpine"}, {"command", {"sh", "-c"}}, {"args", args}}}};
  t.merge_patch(extra);
  return t;
}

TEST(WorkflowEngine, HelloWorldRunsOnePodAndSucceeds) {
  Driver d(json{{"entrypoint", "main"}, {"templates", {Container("main", {"echo hello"})}}});
  auto started = d.Operate();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].node_id, "wf");
  EXPECT_EQ(started[0].main.args, std::vector<std::string>{"echo hello"});
  EXPECT_EQ(d.engine->phase(), RunPhase::kRunning);
  d.Exit("wf", 0, "hello\n");
  EXPECT_EQ(d.engine->phase(), RunPhase::kSucceeded);
  const Node& n = d.ByDisplay("wf");
  EXPECT_EQ(n.phase, NodePhase::kSucceeded);
  EXPECT_EQ(n.result, "hello");
  EXPECT_EQ(d.engine->nodes().size(), 1u);
}

TEST(WorkflowEngine, FailedPodFailsTheRunWithItsExitCode) {
  Driver d(json{{"entrypoint", "main"}, {"templates", {Container("main", {"exit 3"})}}});
  d.Operate();
  d.Exit("wf", 3);
  EXPECT_EQ(d.engine->phase(), RunPhase::kFailed);
  EXPECT_EQ(d.ByDisplay("wf").message, "Error (exit code 3)");
}

TEST(WorkflowEngine, StepsPassOutputParametersAndResults) {
  json gen = Container(
      "gen", {"echo 42 > /tmp/out"},
      {{"outputs", {{"parameters", {{{"name", "n"}, {"valueFrom", {{"path", "/tmp/out"}}}}}}}}});
  json use = Container("use", {"echo {{inputs.parameters.n}} {{inputs.parameters.r}}"},
                       {{"inputs", {{"parameters", {{{"name", "n"}}, {{"name", "r"}}}}}}});
  json main = {{"name", "main"},
               {"steps",
                {{{{"name", "a"}, {"template", "gen"}}},
                 {{{"name", "b"},
                   {"template", "use"},
                   {"arguments",
                    {{"parameters",
                      {{{"name", "n"}, {"value", "{{steps.a.outputs.parameters.n}}"}},
                       {{"name", "r"}, {"value", "{{steps.a.outputs.result}}"}}}}}}}}}}};
  Driver d(json{{"entrypoint", "main"}, {"templates", {main, gen, use}}});
  auto s1 = d.Operate();
  ASSERT_EQ(s1.size(), 1u);
  EXPECT_EQ(s1[0].display_name, "a");
  ASSERT_EQ(s1[0].output_parameters.size(), 1u);
  EXPECT_EQ(s1[0].output_parameters[0].path, "/tmp/out");
  auto s2 = d.Exit("a", 0, "printed\n", {{"n", "42\n"}});
  ASSERT_EQ(s2.size(), 1u);
  EXPECT_EQ(s2[0].main.args[0], "echo 42 printed");
  d.Exit("b", 0);
  EXPECT_EQ(d.engine->phase(), RunPhase::kSucceeded);
  // Steps node, two groups, two pods.
  EXPECT_EQ(d.engine->nodes().size(), 5u);
  EXPECT_EQ(d.Count(NodeType::kStepGroup), 2);
}

TEST(WorkflowEngine, DagDiamondStartsTasksAsTheirDependenciesEnd) {
  auto task = [](const std::string& n, json deps) {
    json t = {{"name", n}, {"template", "echo"}};
    if (!deps.is_null()) t["dependencies"] = deps;
    return t;
  };
  json dag = {
      {"name", "diamond"},
      {"dag",
       {{"tasks",
         {task("A", nullptr), task("B", {"A"}), task("C", {"A"}), task("D", {"B", "C"})}}}}};
  Driver d(json{{"entrypoint", "diamond"}, {"templates", {dag, Container("echo", {"true"})}}});
  auto s = d.Operate();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "A");
  s = d.Exit("A", 0);
  ASSERT_EQ(s.size(), 2u);
  s = d.Exit("B", 0);
  EXPECT_TRUE(s.empty());
  s = d.Exit("C", 0);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "D");
  d.Exit("D", 0);
  EXPECT_EQ(d.engine->phase(), RunPhase::kSucceeded);
  EXPECT_EQ(d.engine->nodes().size(), 5u);
}

TEST(WorkflowEngine, DependsOnFailureRunsTheHandlerAndOmitsTheRest) {
  json dag = {{"name", "main"},
              {"dag",
               {{"tasks",
                 {{{"name", "A"}, {"template", "echo"}},
                  {{"name", "onfail"}, {"template", "echo"}, {"depends", "A.Failed"}},
                  {{"name", "onok"}, {"template", "echo"}, {"depends", "A.Succeeded"}}}}}}};
  Driver d(json{{"entrypoint", "main"}, {"templates", {dag, Container("echo", {"true"})}}});
  d.Operate();
  auto s = d.Exit("A", 1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "onfail");
  EXPECT_EQ(d.ByDisplay("onok").phase, NodePhase::kOmitted);
  d.Exit("onfail", 0);
  // The omitted leaf inherits its branch's phase: A failed.
  EXPECT_EQ(d.engine->phase(), RunPhase::kFailed);
}

TEST(WorkflowEngine, WithItemsAggregatesResultsInItemOrder) {
  json main = {
      {"name", "main"},
      {"steps",
       {{{{"name", "gen"},
          {"template", "show"},
          {"arguments", {{"parameters", {{{"name", "all"}, {"value", "{{item}}"}}}}}},
          {"withItems", {1, 2, 3}}}},
        {{{"name", "sum"},
          {"template", "show"},
          {"arguments",
           {{"parameters", {{{"name", "all"}, {"value", "{{steps.gen.outputs.result}}"}}}}}}}}}}};
  json show = Container("show", {"echo {{inputs.parameters.all}}"},
                        {{"inputs", {{"parameters", {{{"name", "all"}}}}}}});
  Driver d(json{{"entrypoint", "main"}, {"templates", {main, show}}});
  auto s = d.Operate();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].display_name, "gen(0:1)");
  EXPECT_EQ(s[2].main.args[0], "echo 3");
  d.Exit("gen(2:3)", 0, "{\"v\": 3}\n");
  d.Exit("gen(0:1)", 0, "1\n");
  s = d.Exit("gen(1:2)", 0, "two\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].main.args[0], "echo [1,\"two\",{\"v\":3}]");
}

TEST(WorkflowEngine, WithSequenceAndWhen) {
  json main = {{"name", "main"},
               {"steps",
                {{{{"name", "s"},
                   {"template", "echo"},
                   {"withSequence", {{"start", "5"}, {"end", "3"}}},
                   {"when", "{{item}} != 4"}}}}}};
  Driver d(
      json{{"entrypoint", "main"}, {"templates", {main, Container("echo", {"echo {{item}}"})}}});
  auto s = d.Operate();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].display_name, "s(0:5)");
  EXPECT_EQ(s[1].display_name, "s(2:3)");
  EXPECT_EQ(d.ByDisplay("s(1:4)").phase, NodePhase::kSkipped);
  d.Exit("s(0:5)", 0);
  d.Exit("s(2:3)", 0);
  EXPECT_EQ(d.engine->phase(), RunPhase::kSucceeded);
}

TEST(WorkflowEngine, RetryWaitsForBackoffAndStopsAtTheLimit) {
  json flaky = Container(
      "flaky", {"exit 1"},
      {{"retryStrategy", {{"limit", "2"}, {"backoff", {{"duration", "1s"}, {"factor", 2}}}}}});
  Driver d(json{{"entrypoint", "flaky"}, {"templates", {flaky}}});
  auto s = d.Operate();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "wf(0)");
  s = d.Exit("wf(0)", 1);
  EXPECT_TRUE(s.empty());  // back-off
  ASSERT_TRUE(d.engine->NextWake().has_value());
  d.clock.Advance(Duration(1000));
  s = d.Operate();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "wf(1)");
  d.Exit("wf(1)", 1);
  d.clock.Advance(Duration(1500));
  EXPECT_TRUE(d.Operate().empty());  // the second back-off is 2 s
  d.clock.Advance(Duration(600));
  s = d.Operate();
  ASSERT_EQ(s.size(), 1u);
  d.Exit("wf(2)", 1);
  EXPECT_EQ(d.engine->phase(), RunPhase::kFailed);
  EXPECT_EQ(d.ByDisplay("wf").type, NodeType::kRetry);
  EXPECT_EQ(d.ByDisplay("wf").children.size(), 3u);
}

TEST(WorkflowEngine, DurationsAndFactorsThatAreNotNumbersAreIgnoredNotThrown) {
  json flaky = Container(
      "flaky", {"exit 1"},
      {{"retryStrategy", {{"limit", "1"}, {"backoff", {{"duration", "."}, {"factor", "x"}}}}},
       {"timeout", "..5s"},
       {"activeDeadlineSeconds", std::string(400, '9')}});
  Driver d(json{{"entrypoint", "flaky"}, {"templates", {flaky}}});
  std::vector<PodRequest> s;
  ASSERT_NO_THROW(s = d.Operate());
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].deadline.has_value());
  ASSERT_NO_THROW(s = d.Exit("wf(0)", 1));
  ASSERT_EQ(s.size(), 1u);  // no back-off: its duration is not one
  EXPECT_EQ(s[0].display_name, "wf(1)");
}

TEST(WorkflowEngine, RetrySucceedsOnALaterAttempt) {
  json flaky = Container("flaky", {"x"}, {{"retryStrategy", {{"limit", 3}}}});
  Driver d(json{{"entrypoint", "flaky"}, {"templates", {flaky}}});
  d.Operate();
  d.Exit("wf(0)", 2);
  d.Exit("wf(1)", 0, "ok\n");
  EXPECT_EQ(d.engine->phase(), RunPhase::kSucceeded);
  EXPECT_EQ(d.ByDisplay("wf").result, "ok");
}

TEST(WorkflowEngine, ExitHandlerSeesTheWorkflowStatus) {
  json exit = Container("exit", {"echo {{workflow.status}}"});
  Driver d(json{{"entrypoint", "main"},
                {"onExit", "exit"},
                {"templates", {Container("main", {"exit 1"}), exit}}});
  d.Operate();
  auto s = d.Exit("wf", 1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "wf.onExit");
  EXPECT_EQ(s[0].main.args[0], "echo Failed");
  EXPECT_FALSE(d.engine->finished());
  d.Exit("wf.onExit", 0);
  EXPECT_EQ(d.engine->phase(), RunPhase::kFailed);
}

TEST(WorkflowEngine, ParallelismLimitsRunningPods) {
  json main = {
      {"name", "main"},
      {"parallelism", 2},
      {"steps", {{{{"name", "s"}, {"template", "echo"}, {"withItems", {"a", "b", "c"}}}}}}};
  Driver d(json{{"entrypoint", "main"}, {"templates", {main, Container("echo", {"true"})}}});
  EXPECT_EQ(d.Operate().size(), 2u);
  auto s = d.Exit("s(0:a)", 0);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "s(2:c)");
}

TEST(WorkflowEngine, MutexSerializesTemplatesAcrossRuns) {
  json locked = Container("locked", {"true"}, {{"synchronization", {{"mutex", {{"name", "m"}}}}}});
  json spec = {{"entrypoint", "locked"}, {"templates", {locked}}};
  Driver d1(spec, "one");
  Driver d2(spec, "two");
  FakeServices shared;  // both runs see one lock table
  auto a1 = d1.engine->Operate(d1.clock.Now(), shared);
  auto a2 = d2.engine->Operate(d2.clock.Now(), shared);
  EXPECT_EQ(a1.size(), 1u);
  EXPECT_TRUE(a2.empty());
  d1.engine->OnPodJob(a1[0].pod.node_id, 1);
  PodExit ok;
  d1.engine->OnPodExited(a1[0].pod.node_id, ok, d1.clock.Now());
  d1.engine->Operate(d1.clock.Now(), shared);
  EXPECT_EQ(d2.engine->Operate(d2.clock.Now(), shared).size(), 1u);
}

TEST(WorkflowEngine, MemoizedStepRunsOnce) {
  json memo = Container("m", {"echo hi"},
                        {{"memoize", {{"key", "k"}, {"cache", {{"configMap", {{"name", "c"}}}}}}}});
  json spec = {{"entrypoint", "m"}, {"templates", {memo}}};
  Driver d1(spec);
  d1.Operate();
  d1.Exit("wf", 0, "hi\n");
  Driver d2(spec);
  d2.services = d1.services;
  EXPECT_TRUE(d2.Operate().empty());
  EXPECT_EQ(d2.engine->phase(), RunPhase::kSucceeded);
  EXPECT_EQ(d2.ByDisplay("wf").result, "hi");
}

TEST(WorkflowEngine, StopCancelsRunningPodsAndStillRunsTheExitHandler) {
  json main = {
      {"name", "main"},
      {"steps",
       {{{{"name", "a"}, {"template", "echo"}}}, {{{"name", "b"}, {"template", "echo"}}}}}};
  Driver d(json{{"entrypoint", "main"},
                {"onExit", "echo"},
                {"templates", {main, Container("echo", {"true"})}}});
  d.Operate();
  ASSERT_TRUE(d.engine->Stop("Stopped with strategy 'Stop'", d.clock.Now()).ok());
  d.Operate();
  ASSERT_EQ(d.cancelled.size(), 1u);
  PodExit cancelled;
  cancelled.cancelled = true;
  cancelled.exit_code = -1;
  d.engine->OnPodExited(d.running["a"].node_id, cancelled, d.clock.Now());
  d.running.erase("a");
  auto s = d.Operate();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "wf.onExit");
  d.Exit("wf.onExit", 0);
  EXPECT_EQ(d.engine->phase(), RunPhase::kFailed);
  EXPECT_EQ(d.ByDisplay("a").phase, NodePhase::kFailed);
}

TEST(WorkflowEngine, RestoredRunContinuesWithoutStartingAnythingTwice) {
  json main = {
      {"name", "main"},
      {"steps",
       {{{{"name", "a"}, {"template", "echo"}}}, {{{"name", "b"}, {"template", "echo"}}}}}};
  json spec = {{"entrypoint", "main"}, {"templates", {main, Container("echo", {"true"})}}};
  Driver d(spec);
  d.Operate();
  // Snapshot the stored form.
  std::vector<Node> stored;
  for (const auto& n : d.engine->nodes()) {
    auto back = NodeFromJson(NodeToJson(*n));
    ASSERT_TRUE(back.ok());
    stored.push_back(*back);
  }
  json state = d.engine->StateJson();
  WorkflowEngine again("wf", spec, json::object(), d.clock.Now());
  ASSERT_TRUE(again.Restore(state, stored).ok());
  FakeServices services;
  EXPECT_TRUE(again.Operate(d.clock.Now(), services).empty());  // a's job is already there
  const Node* a = nullptr;
  for (const auto& n : again.nodes())
    if (n->display_name == "a") a = n.get();
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->job_id.has_value());
  PodExit ok;
  again.OnPodExited(a->id, ok, d.clock.Now());
  auto actions = again.Operate(d.clock.Now(), services);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].pod.display_name, "b");
}

TEST(WorkflowEngine, ChildrenAreStoredWithTheChildAndComeBackInOrder) {
  json main = {
      {"name", "main"},
      {"steps", {{{{"name", "s"}, {"template", "echo"}, {"withItems", {"a", "b", "c", "d"}}}}}}};
  json spec = {{"entrypoint", "main"}, {"templates", {main, Container("echo", {"true"})}}};
  Driver d(spec);
  d.Operate();
  std::vector<Node> stored;
  std::map<std::string, std::vector<std::string>> before;
  for (const auto& n : d.engine->nodes()) {
    json row = NodeToJson(*n);
    EXPECT_FALSE(row.contains("c")) << n->name;  // a parent's row does not list its children
    auto back = NodeFromJson(row);
    ASSERT_TRUE(back.ok());
    stored.push_back(*back);
    before[n->id] = n->children;
  }
  std::reverse(stored.begin(), stored.end());  // the store's order is not the making order
  WorkflowEngine again("wf", spec, json::object(), d.clock.Now());
  ASSERT_TRUE(again.Restore(d.engine->StateJson(), stored).ok());
  for (const auto& n : again.nodes()) EXPECT_EQ(n->children, before[n->id]) << n->name;
  EXPECT_EQ(d.ByDisplay("[0]").children.size(), 4u);
}

TEST(WorkflowEngine, GlobalOutputParametersReachLaterStepsAndTheRun) {
  json gen = Container(
      "gen", {"true"},
      {{"outputs",
        {{"parameters",
          {{{"name", "p"}, {"globalName", "shared"}, {"valueFrom", {{"path", "/tmp/p"}}}}}}}}});
  json use = Container("use", {"echo {{workflow.outputs.parameters.shared}}"});
  json main = {
      {"name", "main"},
      {"steps", {{{{"name", "a"}, {"template", "gen"}}}, {{{"name", "b"}, {"template", "use"}}}}}};
  Driver d(json{{"entrypoint", "main"}, {"templates", {main, gen, use}}});
  d.Operate();
  auto s = d.Exit("a", 0, "", {{"p", "v1\n"}});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].main.args[0], "echo v1");
  d.Exit("b", 0);
  ASSERT_EQ(d.engine->OutputParameters().size(), 1u);
  EXPECT_EQ(d.engine->OutputParameters()[0].value, "v1");
}

TEST(WorkflowEngine, MissingOutputFileWithoutDefaultIsAnError) {
  json gen = Container(
      "gen", {"true"},
      {{"outputs", {{"parameters", {{{"name", "p"}, {"valueFrom", {{"path", "/tmp/p"}}}}}}}}});
  Driver d(json{{"entrypoint", "gen"}, {"templates", {gen}}});
  d.Operate();
  d.Exit("wf", 0);
  EXPECT_EQ(d.ByDisplay("wf").phase, NodePhase::kError);
  EXPECT_EQ(d.engine->phase(), RunPhase::kError);
}

TEST(WorkflowEngine, RetryFailedRunsOnlyWhatFailed) {
  json main = {
      {"name", "main"},
      {"steps",
       {{{{"name", "a"}, {"template", "echo"}}}, {{{"name", "b"}, {"template", "echo"}}}}}};
  Driver d(json{{"entrypoint", "main"}, {"templates", {main, Container("echo", {"true"})}}});
  d.Operate();
  d.Exit("a", 0);
  d.Exit("b", 1);
  ASSERT_EQ(d.engine->phase(), RunPhase::kFailed);
  ASSERT_TRUE(d.engine->RetryFailed(d.clock.Now()).ok());
  auto s = d.Operate();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "b");
  d.Exit("b", 0);
  EXPECT_EQ(d.engine->phase(), RunPhase::kSucceeded);
}

TEST(WorkflowEngine, SuspendTemplateWaitsForResume) {
  json main = {
      {"name", "main"},
      {"steps",
       {{{{"name", "wait"}, {"template", "pause"}}}, {{{"name", "b"}, {"template", "echo"}}}}}};
  json pause = {{"name", "pause"}, {"suspend", json::object()}};
  Driver d(json{{"entrypoint", "main"}, {"templates", {main, pause, Container("echo", {"true"})}}});
  EXPECT_TRUE(d.Operate().empty());
  EXPECT_EQ(d.ByDisplay("wait").type, NodeType::kSuspend);
  ASSERT_TRUE(d.engine->Resume(d.clock.Now()).ok());
  auto s = d.Operate();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].display_name, "b");
}

}  // namespace
}  // namespace corral::workflow
