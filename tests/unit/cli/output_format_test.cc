#include "cli/output_format.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

namespace corral::cli {
namespace {

TEST(ParseOutputFormatTest, KnownNamesAndError) {
  EXPECT_EQ(*ParseOutputFormat(""), OutputFormat::kDefault);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_EQ(*ParseOutputFormat("yaml"), OutputFormat::kYaml);
  EXPECT_EQ(*ParseOutputFormat("wide"), OutputFormat::kWide);
  auto bad = ParseOutputFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("xml"), std::string::npos);
}

TEST(JsonToYamlTest, StringsThatLookLikeOtherTypesStayStrings) {
  nlohmann::json doc = {{"id", 12},           {"name", "123"},    {"flag", "true"},
                        {"none", "null"},     {"real", true},     {"empty", ""},
                        {"nothing", nullptr}, {"list", {1, "2"}}, {"nested", {{"k", "v: w"}}}};
  YAML::Node node = YAML::Load(JsonToYaml(doc));
  EXPECT_EQ(node["id"].as<int>(), 12);
  EXPECT_EQ(node["name"].Tag(), "!");  // quoted: not read back as a number
  EXPECT_EQ(node["name"].as<std::string>(), "123");
  EXPECT_EQ(node["flag"].Tag(), "!");
  EXPECT_EQ(node["none"].Tag(), "!");
  EXPECT_TRUE(node["real"].as<bool>());
  EXPECT_EQ(node["empty"].as<std::string>(), "");
  EXPECT_TRUE(node["nothing"].IsNull());
  EXPECT_EQ(node["list"][1].as<std::string>(), "2");
  EXPECT_EQ(node["nested"]["k"].as<std::string>(), "v: w");
}

TEST(PrintJsonTest, PrettyAndNewlineTerminated) {
  std::ostringstream out;
  PrintJson(out, {{"a", 1}});
  EXPECT_EQ(out.str(), "{\n  \"a\": 1\n}\n");
}

}  // namespace
}  // namespace corral::cli
