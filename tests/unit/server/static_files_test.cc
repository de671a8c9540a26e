#include "server/static_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace corral::server {
namespace {

namespace fs = std::filesystem;

std::string HeaderOf(const api::HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

class CollectSink final : public api::StreamSink {
 public:
  bool Write(std::string_view chunk) override {
    data += chunk;
    ++chunks;
    return true;
  }
  std::string data;
  int chunks = 0;
};

std::string BodyOf(const api::HttpResponse& r) {
  if (!r.stream) return r.body;
  CollectSink sink;
  r.stream(sink);
  return sink.data;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "corral-ui-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    root_ = base_ / "ui";
    fs::create_directories(root_ / "assets");
    fs::create_directories(root_ / "docs");
    Write(root_ / "index.html", "<!doctype html><title>Corral</title>");
    Write(root_ / "assets" / "app-3f2a.js", "console.log('app')");
    Write(root_ / "docs" / "index.html", "docs");
    Write(root_ / "robots.txt", "User-agent: *");
    Write(base_ / "secret.txt", "outside");
    auto opened = StaticFiles::Open(root_.string(), {1024, 100});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    files_ = std::move(*opened);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  static void Write(const fs::path& p, const std::string& content) {
    std::ofstream(p, std::ios::binary) << content;
  }
  api::HttpResponse Get(const std::string& path, std::map<std::string, std::string> headers = {},
                        const std::string& method = "GET") {
    api::HttpRequest r;
    r.method = method;
    r.path = path;
    r.headers = std::move(headers);
    return files_->Handle(r);
  }

  fs::path base_, root_;
  std::unique_ptr<StaticFiles> files_;
};

TEST_F(StaticFilesTest, ServesIndexWithSecurityHeadersAndRevalidation) {
  auto r = Get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(BodyOf(r), "<!doctype html><title>Corral</title>");
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"), "default-src 'self'");
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "same-origin");
  EXPECT_EQ(HeaderOf(r, "X-Frame-Options"), "DENY");
  EXPECT_TRUE(HeaderOf(r, "Last-Modified").ends_with(" GMT"));
}

TEST_F(StaticFilesTest, AssetsAreImmutableAndTypedByExtension) {
  auto r = Get("/assets/app-3f2a.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"), "");
  EXPECT_EQ(Get("/robots.txt").content_type, "text/plain; charset=utf-8");
}

TEST_F(StaticFilesTest, MatchingETagIsNotModifiedAndAChangeIsNoticed) {
  auto first = Get("/assets/app-3f2a.js");
  const std::string etag = HeaderOf(first, "ETag");
  ASSERT_FALSE(etag.empty());
  auto again = Get("/assets/app-3f2a.js", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(BodyOf(again), "");
  EXPECT_EQ(HeaderOf(again, "ETag"), etag);
  EXPECT_EQ(Get("/assets/app-3f2a.js", {{"if-none-match", "\"x\", W/" + etag}}).status, 304);
  EXPECT_EQ(Get("/assets/app-3f2a.js", {{"if-none-match", "\"other\""}}).status, 200);
  Write(root_ / "assets" / "app-3f2a.js", "console.log('changed')");
  auto changed = Get("/assets/app-3f2a.js", {{"if-none-match", etag}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(HeaderOf(changed, "ETag"), etag);
}

TEST_F(StaticFilesTest, PrecompressedSiblingOnlyWhenGzipIsAccepted) {
  Write(root_ / "assets" / "app-3f2a.js.gz", "GZ");
  auto plain = Get("/assets/app-3f2a.js");
  EXPECT_EQ(BodyOf(plain), "console.log('app')");
  EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
  EXPECT_EQ(HeaderOf(plain, "Vary"), "Accept-Encoding");
  auto gz = Get("/assets/app-3f2a.js", {{"accept-encoding", "br, gzip;q=0.8"}});
  EXPECT_EQ(BodyOf(gz), "GZ");
  EXPECT_EQ(HeaderOf(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(gz.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(HeaderOf(gz, "ETag"), HeaderOf(plain, "ETag"));
  EXPECT_EQ(BodyOf(Get("/assets/app-3f2a.js", {{"accept-encoding", "gzip;q=0"}})),
            "console.log('app')");
  // No sibling: the plain file even when gzip is welcome.
  EXPECT_EQ(BodyOf(Get("/robots.txt", {{"accept-encoding", "gzip"}})), "User-agent: *");
}

TEST_F(StaticFilesTest, UnknownPathWithoutExtensionGetsTheApp) {
  auto deep = Get("/jobs/12");
  EXPECT_EQ(deep.status, 200);
  EXPECT_EQ(BodyOf(deep), "<!doctype html><title>Corral</title>");
  EXPECT_EQ(HeaderOf(deep, "Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/assets/missing.js").status, 404);
  EXPECT_EQ(Get("/missing.png").status, 404);
  EXPECT_EQ(BodyOf(Get("/docs")), "docs");
  EXPECT_EQ(BodyOf(Get("/docs/")), "docs");
}

TEST_F(StaticFilesTest, TraversalAndNulAreRefused) {
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/..", "/./index.html",
                           "/assets/..", "/a/../index.html"}) {
    auto r = Get(path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(BodyOf(r).find("outside"), std::string::npos) << path;
  }
  EXPECT_EQ(Get(std::string("/index.html\0.png", 16)).status, 400);
  EXPECT_EQ(Get("relative").status, 400);
}

TEST_F(StaticFilesTest, SymlinkOutOfTheRootIsNotFollowed) {
  fs::create_symlink(base_ / "secret.txt", root_ / "leak.txt");
  fs::create_directory_symlink(base_, root_ / "up");
  fs::create_symlink(root_ / "robots.txt", root_ / "inside.txt");
  auto leak = Get("/leak.txt");
  EXPECT_EQ(leak.status, 404);
  EXPECT_EQ(BodyOf(leak).find("outside"), std::string::npos);
  EXPECT_EQ(Get("/up/secret.txt").status, 404);
  // A link that stays inside is fine.
  EXPECT_EQ(BodyOf(Get("/inside.txt")), "User-agent: *");
}

TEST_F(StaticFilesTest, HiddenFilesDirectoriesAndOtherMethods) {
  Write(root_ / ".env", "SECRET=1");
  EXPECT_EQ(Get("/.env").status, 404);
  fs::create_directories(root_ / "empty");
  auto dir = Get("/empty/");
  // No listing: a directory without index.html falls back to the app.
  EXPECT_EQ(BodyOf(dir), "<!doctype html><title>Corral</title>");
  auto post = Get("/index.html", {}, "POST");
  EXPECT_EQ(post.status, 400);
  EXPECT_EQ(HeaderOf(post, "Allow"), "GET, HEAD");
  auto head = Get("/index.html", {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(BodyOf(head), "");
  EXPECT_FALSE(HeaderOf(head, "ETag").empty());
}

TEST_F(StaticFilesTest, LargeFilesAreStreamedInChunks) {
  std::string big(5000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  Write(root_ / "assets" / "big.bin", big);
  auto r = Get("/assets/big.bin");
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(r.content_type, "application/octet-stream");
  CollectSink sink;
  r.stream(sink);
  EXPECT_EQ(sink.data, big);
  EXPECT_EQ(sink.chunks, 50);
}

TEST(StaticFilesRoutingTest, ApiHealthMetricsAndNotebooksAreNotTheUis) {
  for (const char* path : {"/api", "/api/v1/jobs", "/healthz", "/metrics", "/nb/3/lab", "/nb"})
    EXPECT_FALSE(StaticFiles::Serves(path)) << path;
  for (const char* path : {"/", "/index.html", "/apis", "/nbx", "/jobs/12", "/metricsx"})
    EXPECT_TRUE(StaticFiles::Serves(path)) << path;
}

TEST(StaticFilesOpenTest, RootMustBeADirectory) {
  EXPECT_FALSE(StaticFiles::Open("/nonexistent/corral-ui").ok());
  EXPECT_FALSE(StaticFiles::Open("/dev/null").ok());
}

}  // namespace
}  // namespace corral::server
