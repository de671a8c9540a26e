#include "workflow/spec_check.h"

#include <gtest/gtest.h>

namespace corral::workflow {
namespace {

using nlohmann::json;

json Doc(json spec) {
  return {{"apiVersion", "argoproj.io/v1alpha1"},
          {"kind", "Workflow"},
          {"metadata", {{"generateName", "x-"}}},
          {"spec", std::move(spec)}};
}

json Echo() {
  return {{"name", "echo"}, {"container", {{"image", "alpine"}, {"command", {"echo"}}}}};
}

TEST(SpecCheck, KubernetesFieldsAreWarningsWithTheirPath) {
  json t = Echo();
  t["nodeSelector"] = {{"a", "b"}};
  auto w =
      CheckDocument(Doc({{"entrypoint", "echo"}, {"podGC", json::object()}, {"templates", {t}}}));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(w->size(), 2u);
  EXPECT_EQ((*w)[0], "spec.podGC: ignored (Kubernetes-only)");
  EXPECT_EQ((*w)[1], "spec.templates[0].nodeSelector: ignored (Kubernetes-only)");
}

TEST(SpecCheck, UnknownFieldIsAnErrorNamingThePath) {
  json t = Echo();
  t["container"]["bogus"] = 1;
  auto w = CheckDocument(Doc({{"entrypoint", "echo"}, {"templates", {t}}}));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "spec.templates[0].container.bogus");
}

TEST(SpecCheck, UnknownTemplateAndEntrypoint) {
  json steps = {{"name", "main"}, {"steps", {{{{"name", "a"}, {"template", "nope"}}}}}};
  auto w = CheckDocument(Doc({{"entrypoint", "main"}, {"templates", {steps, Echo()}}}));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "spec.templates[0].steps[0][0].template");
  auto e = CheckDocument(Doc({{"entrypoint", "nope"}, {"templates", {Echo()}}}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().field(), "spec.entrypoint");
}

TEST(SpecCheck, DagCyclesAndBadDependsAreRejected) {
  json dag = {{"name", "main"},
              {"dag",
               {{"tasks",
                 {{{"name", "A"}, {"template", "echo"}, {"depends", "B"}},
                  {{"name", "B"}, {"template", "echo"}, {"depends", "A"}}}}}}};
  auto w = CheckDocument(Doc({{"entrypoint", "main"}, {"templates", {dag, Echo()}}}));
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("cycle"), std::string::npos);
  dag["dag"]["tasks"][1]["depends"] = "C && ";
  auto bad = CheckDocument(Doc({{"entrypoint", "main"}, {"templates", {dag, Echo()}}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "spec.templates[0].dag.tasks[1].depends");
}

TEST(SpecCheck, BadExpressionIsRejected) {
  json t = Echo();
  t["container"]["args"] = {"{{= 1 + }}"};
  auto w = CheckDocument(Doc({{"entrypoint", "echo"}, {"templates", {t}}}));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "spec.templates[0].container.args[0]");
}

json Loop(json loop) {
  json step = {{"name", "s"}, {"template", "echo"}};
  for (auto it = loop.begin(); it != loop.end(); ++it) step[it.key()] = it.value();
  json main = {{"name", "main"}, {"steps", {{step}}}};
  return Doc({{"entrypoint", "main"}, {"templates", {main, Echo()}}});
}

constexpr const char* kStep = "spec.templates[0].steps[0][0]";

TEST(SpecCheck, LiteralLoopsBeyondTheBoundAreRefusedAtSubmit) {
  struct Case {
    json loop;
    std::string field;
  };
  const std::string s = kStep;
  std::vector<Case> cases = {
      {{{"withSequence", {{"count", 100000000000LL}}}}, s + ".withSequence.count"},
      {{{"withSequence", {{"count", "100001"}}}}, s + ".withSequence.count"},
      {{{"withSequence", {{"count", 1e11}}}}, s + ".withSequence.count"},
      {{{"withSequence", {{"start", "{{x}}"}, {"count", "100001"}}}}, s + ".withSequence.count"},
      {{{"withSequence", {{"end", 100000}}}}, s + ".withSequence.end"},
      {{{"withSequence", {{"start", "-5"}, {"end", "99995"}}}}, s + ".withSequence.end"},
      {{{"withSequence", {{"start", "-9223372036854775808"}, {"end", "9223372036854775807"}}}},
       s + ".withSequence.end"},
      {{{"withSequence", {{"count", "99999999999999999999"}}}}, s + ".withSequence.count"},
      {{{"withSequence", {{"count", 1.5}}}}, s + ".withSequence.count"},
      {{{"withSequence", {{"count", true}}}}, s + ".withSequence.count"},
      {{{"withSequence", {{"count", 2}, {"format", "%1000d"}}}}, s + ".withSequence.format"},
      {{{"withSequence", {{"count", 2}, {"format", "%*d"}}}}, s + ".withSequence.format"},
      {{{"withSequence", {{"count", 2}, {"format", 7}}}}, s + ".withSequence.format"},
      {{{"withSequence", {{"start", 1}}}}, s + ".withSequence"},
      {{{"withSequence", "5"}}, s + ".withSequence"},
      {{{"withItems", json::array()}}, ""},
      {{{"withItems", "a"}}, s + ".withItems"},
      {{{"withItems", json(std::vector<int>(100001, 1))}}, s + ".withItems"},
      {{{"withParam", "[1,"}}, s + ".withParam"},
      {{{"withParam", json::object()}}, s + ".withParam"},
  };
  for (const auto& c : cases) {
    auto w = CheckDocument(Loop(c.loop));
    if (c.field.empty()) {
      EXPECT_TRUE(w.ok()) << c.loop.dump();
      continue;
    }
    ASSERT_FALSE(w.ok()) << c.loop.dump();
    EXPECT_EQ(w.status().field(), c.field) << c.loop.dump();
    // The path is the field's; the message does not repeat it.
    EXPECT_EQ(w.status().message().find("spec."), std::string::npos) << w.status().message();
  }
  auto count = CheckDocument(Loop({{"withSequence", {{"count", 100000000000LL}}}}));
  EXPECT_EQ(count.status().message(), "100000000000 items; a loop has at most 100000");
}

TEST(SpecCheck, LoopsWithinTheBoundOrFromExpressionsWaitForTheRun) {
  for (const json& loop : {
           json{{"withSequence", {{"count", 100000}}}},
           json{{"withSequence", {{"count", "{{workflow.parameters.n}}"}}}},
           json{{"withSequence", {{"start", "{{inputs.parameters.a}}"}, {"end", 100000000000LL}}}},
           json{{"withSequence", {{"start", "99999"}, {"end", 0}, {"format", "%05d"}}}},
           json{{"withSequence", {{"count", 0}}}},
           json{{"withItems", json(std::vector<int>(100000, 1))}},
           json{{"withParam", "{{steps.gen.outputs.result}}"}},
           json{{"withParam", "[1, 2]"}},
       }) {
    auto w = CheckDocument(Loop(loop));
    EXPECT_TRUE(w.ok()) << loop.dump() << ": " << w.status().ToString();
  }
}

TEST(SpecCheck, FieldsOfTheWrongTypeAreRefusedWithTheirPath) {
  auto with_step = [](json change) {
    json step = {{"name", "s"}, {"template", "echo"}};
    for (auto it = change.begin(); it != change.end(); ++it) step[it.key()] = it.value();
    return Doc(
        {{"entrypoint", "main"}, {"templates", {{{"name", "main"}, {"steps", {{step}}}}, Echo()}}});
  };
  const std::string s = kStep;
  std::vector<std::pair<json, std::string>> cases = {
      {with_step({{"name", 5}}), s + ".name"},
      {with_step({{"onExit", 5}}), s + ".onExit"},
      {with_step({{"continueOn", {{"failed", "yes"}}}}), s + ".continueOn.failed"},
      {with_step({{"arguments", {{"parameters", {{{"name", 1}}}}}}}),
       s + ".arguments.parameters[0].name"},
      {with_step({{"hooks", {{"exit", "x"}}}}), s + ".hooks.exit"},
  };
  json doc = Doc({{"entrypoint", "echo"}, {"templates", {Echo()}}});
  doc["kind"] = 3;
  cases.push_back({doc, "kind"});
  doc = Doc({{"entrypoint", "echo"}, {"templates", {Echo()}}});
  doc["metadata"]["generateName"] = json::array();
  cases.push_back({doc, "metadata.generateName"});
  doc = Doc({{"entrypoint", "echo"}, {"templates", {Echo()}}});
  doc["metadata"]["labels"] = "team=a";
  cases.push_back({doc, "metadata.labels"});
  json t = Echo();
  t["container"]["env"] = {{{"value", "v"}}};
  cases.push_back({Doc({{"entrypoint", "echo"}, {"templates", {t}}}),
                   "spec.templates[0].container.env[0].name"});
  t = Echo();
  t["retryStrategy"] = {{"backoff", {{"duration", 1e300}}}};
  cases.push_back({Doc({{"entrypoint", "echo"}, {"templates", {t}}}),
                   "spec.templates[0].retryStrategy.backoff.duration"});
  t = Echo();
  t["parallelism"] = "2";
  cases.push_back(
      {Doc({{"entrypoint", "echo"}, {"templates", {t}}}), "spec.templates[0].parallelism"});
  cases.push_back({Doc({{"workflowTemplateRef", {{"name", "t"}, {"clusterScope", "yes"}}}}),
                   "spec.workflowTemplateRef.clusterScope"});
  for (const auto& [d, field] : cases) {
    auto w = CheckDocument(d);
    ASSERT_FALSE(w.ok()) << d.dump();
    EXPECT_EQ(w.status().field(), field) << d.dump();
    EXPECT_EQ(w.status().message().find(field), std::string::npos) << w.status().message();
  }
}

TEST(SpecCheck, TemplateRefsSkipsValuesOfOtherTypes) {
  json spec = {
      {"templates",
       {{{"name", "main"},
         {"steps",
          {{{{"name", "s"},
             {"templateRef", {{"name", "t"}, {"template", "x"}}},
             {"withItems", {{{"templateRef", {{"name", 5}, {"clusterScope", "x"}}}}}}}}}}}}}};
  auto refs = TemplateRefs(spec);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0], std::make_pair(std::string("WorkflowTemplate"), std::string("t")));
  EXPECT_EQ(refs[1], std::make_pair(std::string("WorkflowTemplate"), std::string("")));
}

}  // namespace
}  // namespace corral::workflow
