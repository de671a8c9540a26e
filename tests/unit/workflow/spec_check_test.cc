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

}  // namespace
}  // namespace corral::workflow
