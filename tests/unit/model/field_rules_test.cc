#include "model/field_rules.h"

#include <gtest/gtest.h>

namespace corral::rules {
namespace {

using namespace std::string_literals;

TEST(FieldRules, NamesAreACharsetWithoutDotDot) {
  EXPECT_TRUE(CheckName("name", "train-1.v2_a").ok());
  for (std::string bad : {""s, "-x"s, ".x"s, "a/b"s, "../x"s, "a..b"s, "a b"s, "a\nb"s, "a\0b"s,
                          std::string(64, 'a'), "\xc3\xa9t\xc3\xa9"s}) {
    Status s = CheckName("name", bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.field(), "name");
  }
  EXPECT_TRUE(CheckName("name", std::string(63, 'a')).ok());
  EXPECT_TRUE(CheckName("name", std::string(253, 'a'), kMaxJobNameBytes).ok());
}

TEST(FieldRules, UserNamesAreLowerCase) {
  EXPECT_TRUE(CheckUserName("name", "alice_2").ok());
  EXPECT_FALSE(CheckUserName("name", "Alice").ok());
  EXPECT_FALSE(CheckUserName("name", "9lives").ok());
  EXPECT_FALSE(CheckUserName("name", "a..b").ok());
}

TEST(FieldRules, LabelsAreKubernetesLikeAndBounded) {
  EXPECT_TRUE(CheckLabels("labels", {{"team", "ml research"}, {"corral.io/run", ""}}).ok());
  Status nul = CheckLabels("labels", {{"k", "a\0b"s}});
  EXPECT_EQ(nul.field(), "labels.k");
  EXPECT_FALSE(CheckLabels("labels", {{"k", "a\nb"}}).ok());
  EXPECT_FALSE(CheckLabels("labels", {{"-k", "v"}}).ok());
  EXPECT_FALSE(CheckLabels("labels", {{"/k", "v"}}).ok());
  EXPECT_FALSE(CheckLabels("labels", {{"k", std::string(257, 'v')}}).ok());
  std::map<std::string, std::string> many;
  for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "v";
  Status s = CheckLabels("labels", many);
  EXPECT_EQ(s.field(), "labels");
  EXPECT_NE(s.message().find("64"), std::string::npos);
}

TEST(FieldRules, EnvKeysArePosixValuesAnyTextButNul) {
  EXPECT_TRUE(CheckEnv("env", {{"PATH_2", "a\tb\nc"}}).ok());
  EXPECT_EQ(CheckEnv("env", {{"K", "a\0b"s}}).field(), "env.K");
  EXPECT_FALSE(CheckEnv("env", {{"1K", "v"}}).ok());
  EXPECT_FALSE(CheckEnv("env", {{"K-1", "v"}}).ok());
  EXPECT_FALSE(CheckEnv("env", {{"K", std::string(kMaxEnvValueBytes + 1, 'x')}}).ok());
}

TEST(FieldRules, ArgvAndScriptRejectNulAndSize) {
  EXPECT_TRUE(CheckArgv("command", {"sh", "-c", "echo a\nb"}).ok());
  EXPECT_EQ(CheckArgv("command", {"sh", "a\0b"s}).field(), "command[1]");
  EXPECT_EQ(CheckArgv("command", {""}).field(), "command[0]");
  EXPECT_FALSE(CheckArgv("command", std::vector<std::string>(kMaxArgs + 1, "x")).ok());
  EXPECT_FALSE(CheckArgv("command", {std::string(kMaxArgvBytes, 'x'), "y"}).ok());
  EXPECT_FALSE(CheckScript("script", "echo\0"s).ok());
  EXPECT_TRUE(CheckScript("script", "echo hi\n").ok());
}

TEST(FieldRules, AbsolutePathsAreNormal) {
  EXPECT_TRUE(CheckAbsolutePath("workdir", "/").ok());
  EXPECT_TRUE(CheckAbsolutePath("workdir", "/home/me/proj").ok());
  for (std::string bad : {"rel"s, "/a/../b"s, "/a/./b"s, "/a//b"s, "/a/"s, "/a\0b"s, "/a\nb"s})
    EXPECT_EQ(CheckAbsolutePath("workdir", bad).field(), "workdir") << bad;
}

TEST(FieldRules, ContainedPathsCannotClimbOut) {
  EXPECT_TRUE(CheckContainedPath("trial.workdir", "runs/a").ok());
  EXPECT_TRUE(CheckContainedPath("trial.workdir", "./runs").ok());
  EXPECT_TRUE(CheckContainedPath("trial.workdir", "/abs/dir").ok());
  for (std::string bad : {"../.."s, ".."s, "a/../../b"s, "a//b"s, "a\0"s, "/a/../b"s})
    EXPECT_FALSE(CheckContainedPath("trial.workdir", bad).ok()) << bad;
}

TEST(FieldRules, ControlCharactersIncludeC1) {
  EXPECT_TRUE(HasControlCharacter("a\x7f"));
  EXPECT_TRUE(HasControlCharacter("a\xc2\x85"));  // NEL
  EXPECT_FALSE(HasControlCharacter("caf\xc3\xa9"));
}

}  // namespace
}  // namespace corral::rules
