#include "workflow/expression.h"

#include <gtest/gtest.h>

#include <map>

#include "workflow/dag_depends.h"
#include "workflow/template_text.h"

namespace corral::workflow {
namespace {

using nlohmann::json;

VariableLookup Vars(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

bool When(const std::string& text) {
  auto v = Evaluate(text, Dialect::kGovaluate, Vars({}));
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  return v.ok() && Truthy(*v);
}

TEST(Govaluate, BareWordsAreStrings) {
  EXPECT_TRUE(When("heads == heads"));
  EXPECT_FALSE(When("heads == tails"));
  EXPECT_TRUE(When("Succeeded != Failed"));
  EXPECT_TRUE(When("hello =~ hel"));
  EXPECT_TRUE(When("10 > 9"));
  EXPECT_TRUE(When("5 >= 5 && (a == a || b == c)"));
  EXPECT_FALSE(When("false"));
  EXPECT_TRUE(When("true"));
  EXPECT_TRUE(When("my-step.x == my-step.x"));
}

TEST(Expr, VariablesFunctionsAndOperators) {
  auto vars = Vars(
      {{"inputs.parameters.foo", "4"},
       {"inputs.parameters.should-print", "true"},
       {"workflow.parameters.config",
        R"({"a": 1, "employees": [{"name": "x", "age": 43}, {"name": "Baris", "age": 40}]})"}});
  auto eval = [&](const std::string& e) {
    auto v = Evaluate(e, Dialect::kExpr, vars);
    EXPECT_TRUE(v.ok()) << e << ": " << v.status().ToString();
    return v.ok() ? ToText(*v) : std::string("<error>");
  };
  EXPECT_EQ(eval("asInt(inputs.parameters.foo) * 10"), "40");
  EXPECT_EQ(eval("inputs.parameters[\"should-print\"] == 'true'"), "true");
  EXPECT_EQ(eval("jsonpath(workflow.parameters.config, '$.a')"), "1");
  EXPECT_EQ(eval("jsonpath(workflow.parameters.config, '$.employees[*].name')"),
            "[\"x\",\"Baris\"]");
  EXPECT_EQ(
      eval("jsonpath(workflow.parameters.config, '$.employees[?(@.age>42 && @.age<44)].age')"),
      "[43]");
  EXPECT_EQ(eval("jsonpath(workflow.parameters.config, '$.employees[?(@.name==\"Baris\")].age')"),
            "[40]");
  EXPECT_EQ(eval("1 < 2 ? 'yes' : 'no'"), "yes");
  EXPECT_EQ(eval("sprig.upper('ab') + 'c'"), "ABc");
  EXPECT_EQ(eval("toJson([1, 'a'])"), "[1,\"a\"]");
  EXPECT_EQ(eval("asFloat('1.5') + 1"), "2.5");
  EXPECT_EQ(eval("tasks.skipped.outputs.parameters.msg ?? 'fallback'"), "fallback");
  EXPECT_EQ(eval("toJson(filter([1, 3], {# > 1}))"), "[3]");
  EXPECT_EQ(eval("toJson(map([1, 2], {# * 2}))"), "[2,4]");
  EXPECT_TRUE(Evaluate("nope.x", Dialect::kExpr, vars)->is_null());  // nil, as expr-lang
  EXPECT_FALSE(CheckSyntax("a +", Dialect::kExpr).ok());
}

TEST(TemplateText, SubstitutesKnownTagsAndKeepsUnknownOnes) {
  auto vars = Vars({{"a", "1"}, {"inputs.parameters.x", "5"}});
  auto s = Substitute("{{a}}-{{ b }}-{{=asInt(inputs.parameters.x) + 1}}", vars);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "1-{{ b }}-6");
  EXPECT_FALSE(Substitute("{{= 1 + }}", vars).ok());
  EXPECT_FALSE(CheckTags("x {{=(}}").ok());
}

TEST(Depends, EvaluatesTaskResults) {
  std::map<std::string, DependencyResult> r;
  r["A"].succeeded = true;
  r["B"].failed = true;
  EXPECT_TRUE(*EvaluateDepends("A && B.Failed", r));
  EXPECT_FALSE(*EvaluateDepends("A && B", r));
  EXPECT_TRUE(*EvaluateDepends("!B.Succeeded || B", r));
  EXPECT_EQ(DependsTaskNames("A && (B.Failed || C-d)"),
            (std::vector<std::string>{"A", "B", "C-d"}));
  EXPECT_FALSE(CheckDepends("A && Z", {"A", "B"}).ok());
  EXPECT_FALSE(CheckDepends("A &&", {"A"}).ok());
}

TEST(Expr, JsonPathSlicesThatAreNotIntegersAreErrors) {
  auto vars = Vars({{"workflow.parameters.list", "[1, 2, 3]"}});
  auto slice = [&](const std::string& range) {
    return Evaluate("jsonpath(workflow.parameters.list, '$[" + range + "]')", Dialect::kExpr, vars);
  };
  auto ok = slice("1:");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ToText(*ok), "[2,3]");
  for (const char* bad : {"x:1", "1:y", "99999999999999999999:", ":1.5"}) {
    auto v = slice(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().field(), "jsonpath") << bad;
  }
}

}  // namespace
}  // namespace corral::workflow
