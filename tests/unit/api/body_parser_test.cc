#include "api/body_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace corral::api {
namespace {

using namespace std::string_literals;

Status JsonError(const std::string& body) {
  auto r = ParseBody(body, "application/json");
  return r.ok() ? Status::Ok() : r.status();
}
Status YamlError(const std::string& body, const BodyLimits& limits = {}) {
  auto r = ParseBody(body, "application/yaml", limits);
  return r.ok() ? Status::Ok() : r.status();
}

TEST(ParseBody, ReadsJsonAndYamlAlike) {
  auto j = ParseBody(R"({"a": [1, 2.5, "x", true, null], "b": {"c": "d"}})", "application/json");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  auto y = ParseBody("a: [1, 2.5, x, true, null]\nb:\n  c: d\n", "application/yaml");
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(*j, *y);
  auto quoted = ParseBody("a: '1'\n", "application/yaml");
  ASSERT_TRUE(quoted.ok());
  EXPECT_TRUE((*quoted)["a"].is_string());
}

TEST(ParseBody, NumberBeyondADoubleNamesTheField) {
  Status s = JsonError(R"({"resources": {"gpus": 1e999}})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "resources.gpus");
  EXPECT_EQ(JsonError(R"({"command": ["a", -1e999]})").field(), "command[1]");
  EXPECT_EQ(JsonError("1e999").field(), "body");
}

TEST(ParseBody, InvalidUtf8IsRefusedWithItsPath) {
  EXPECT_EQ(JsonError("{\"name\": \"a\xff\"}").field(), "body");  // the JSON lexer refuses it
  Status value = YamlError("env:\n  K: \"a\xc3\x28\"\n");
  EXPECT_EQ(value.field(), "env.K");
  EXPECT_NE(value.message().find("UTF-8"), std::string::npos);
  Status key = YamlError("labels:\n  \"k\xff\": v\n");
  EXPECT_NE(key.message().find("UTF-8"), std::string::npos);
  EXPECT_EQ(key.field().rfind("labels.", 0), 0u);
}

TEST(ParseBody, MalformedTextIsAnErrorWithValidUtf8Message) {
  for (std::string body : {"{"s, "{\"a\": }"s, "\xff\xfe"s, "[1,]"s, "{\"a\":1}{"s}) {
    Status s = JsonError(body);
    EXPECT_EQ(s.field(), "body") << body;
  }
  EXPECT_EQ(YamlError("a: [1, 2\n").field(), "body");
  EXPECT_EQ(YamlError("a: *nope\n").field(), "body");
}

TEST(ParseBody, BillionLaughsStopsEarly) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c, ++prev) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  Status s = YamlError(bomb);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("expands beyond 100000 nodes"), std::string::npos) << s.ToString();
}

TEST(ParseBody, AliasesAreCountedAndBounded) {
  auto ok = ParseBody("a: &x {k: v}\nb: *x\n", "application/yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["b"]["k"], "v");
  BodyLimits few;
  few.max_aliases = 2;
  EXPECT_NE(YamlError("a: &x 1\nb: [*x, *x, *x]\n", few).message().find("aliases"),
            std::string::npos);
}

TEST(ParseBody, DepthIsBounded) {
  std::string deep_json = std::string(65, '[') + std::string(65, ']');
  EXPECT_NE(JsonError(deep_json).message().find("deeper than 64"), std::string::npos);
  EXPECT_TRUE(JsonError(std::string(64, '[') + std::string(64, ']')).ok());
  std::string deep_yaml = std::string(65, '[') + std::string(65, ']');
  EXPECT_NE(YamlError(deep_yaml).message().find("deeper than 64"), std::string::npos);
  // Far deeper than any limit: still an error, not a crash.
  EXPECT_FALSE(JsonError(std::string(500000, '[')).ok());
}

TEST(ParseBody, DuplicateKeysAreRefused) {
  EXPECT_EQ(JsonError(R"({"a": 1, "a": 2})").field(), "a");
  EXPECT_EQ(YamlError("a: 1\na: 2\n").field(), "a");
}

TEST(ParseBody, SizeIsBounded) {
  BodyLimits small;
  small.max_bytes = 10;
  auto r = ParseBody(R"({"name": "abcdefgh"})", "application/json", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(ParseBody, YamlMappingKeysMustBeScalars) { EXPECT_FALSE(YamlError("? [a, b]\n: c\n").ok()); }

}  // namespace
}  // namespace corral::api
