#include "cli/client_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace corral::cli {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "corral-cli-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ConfigFilePathTest, PrefersXdgThenHome) {
  EXPECT_EQ(ConfigFilePath(FakeEnv({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})),
            "/x/corral/config.json");
  EXPECT_EQ(ConfigFilePath(FakeEnv({{"HOME", "/h"}})), "/h/.config/corral/config.json");
  EXPECT_EQ(ConfigFilePath(FakeEnv({})), "");
}

TEST(ResolveConnectionTest, FlagBeatsEnvBeatsSavedBeatsDefault) {
  SavedLogin saved{"http://saved:1/", "saved-token"};
  auto env = FakeEnv({{"CORRAL_URL", "http://env:2"}, {"CORRAL_TOKEN", "env-token"}});

  auto from_flags = ResolveConnection("http://flag:3", "flag-token", env, saved, "/c");
  EXPECT_EQ(from_flags.url, "http://flag:3");
  EXPECT_EQ(from_flags.token, "flag-token");
  EXPECT_EQ(from_flags.token_source, "--token");

  auto from_env = ResolveConnection("", "", env, saved, "/c");
  EXPECT_EQ(from_env.url, "http://env:2");
  EXPECT_EQ(from_env.token, "env-token");
  EXPECT_EQ(from_env.token_source, "CORRAL_TOKEN");

  auto from_file = ResolveConnection("", "", FakeEnv({}), saved, "/c");
  EXPECT_EQ(from_file.url, "http://saved:1");
  EXPECT_EQ(from_file.token, "saved-token");
  EXPECT_EQ(from_file.token_source, "/c");

  auto defaults = ResolveConnection("", "", FakeEnv({}), std::nullopt, "/c");
  EXPECT_EQ(defaults.url, "http://127.0.0.1:8080");
  EXPECT_EQ(defaults.token, "");
}

TEST(ResolveConnectionTest, SavedTokenIsNotSentToAnotherServer) {
  SavedLogin saved{"http://saved:1", "saved-token"};
  auto other = ResolveConnection("http://other:9", "", FakeEnv({}), saved, "/c");
  EXPECT_EQ(other.token, "");
  auto same = ResolveConnection("http://saved:1/", "", FakeEnv({}), saved, "/c");
  EXPECT_EQ(same.token, "saved-token");
}

TEST(NormaliseServerUrlTest, AddsSchemeAndDropsSlashes) {
  EXPECT_EQ(NormaliseServerUrl("gpu-box:8080//"), "http://gpu-box:8080");
  EXPECT_EQ(NormaliseServerUrl("https://c.example"), "https://c.example");
}

TEST(ConfigFileTest, SaveThenLoadWithOwnerOnlyMode) {
  TempDir dir;
  std::string path = dir.path() + "/corral/config.json";
  ASSERT_TRUE(SaveConfigFile(path, {"http://h:1", "secret"}).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path() + "/corral").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto loaded = LoadConfigFile(path);
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->url, "http://h:1");
  EXPECT_EQ((*loaded)->token, "secret");
}

TEST(ConfigFileTest, OverwritingTightensLooseMode) {
  TempDir dir;
  std::string path = dir.path() + "/config.json";
  { std::ofstream(path) << "{}"; }
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(SaveConfigFile(path, {"http://h:1", "secret"}).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ConfigFileTest, MissingIsEmptyMalformedIsError) {
  TempDir dir;
  auto missing = LoadConfigFile(dir.path() + "/nope.json");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  std::string bad = dir.path() + "/bad.json";
  { std::ofstream(bad) << "url: not json"; }
  EXPECT_FALSE(LoadConfigFile(bad).ok());

  std::string wrong_type = dir.path() + "/wrong.json";
  { std::ofstream(wrong_type) << R"({"url": 5})"; }
  auto loaded = LoadConfigFile(wrong_type);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("url"), std::string::npos);
}

}  // namespace
}  // namespace corral::cli
