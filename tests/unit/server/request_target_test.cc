#include "server/request_target.h"

#include <gtest/gtest.h>

namespace corral::server {
namespace {

TEST(RequestTargetTest, SplitsAndDecodesPathAndQuery) {
  api::HttpRequest req;
  ASSERT_TRUE(ParseRequestTarget("/api/v1/jobs/a%20b?limit=10&q=x+y%2Bz&flag", req).ok());
  EXPECT_EQ(req.path, "/api/v1/jobs/a b");
  EXPECT_EQ(req.target, "/api/v1/jobs/a%20b?limit=10&q=x+y%2Bz&flag");
  ASSERT_NE(req.Query("limit"), nullptr);
  EXPECT_EQ(*req.Query("limit"), "10");
  EXPECT_EQ(*req.Query("q"), "x y+z");
  ASSERT_NE(req.Query("flag"), nullptr);
  EXPECT_EQ(*req.Query("flag"), "");
}

TEST(RequestTargetTest, PlusIsLiteralInThePathAndBadEscapesStayLiteral) {
  api::HttpRequest req;
  ASSERT_TRUE(ParseRequestTarget("/a+b/%zz/%4", req).ok());
  EXPECT_EQ(req.path, "/a+b/%zz/%4");
}

TEST(RequestTargetTest, AcceptsEncodedMultibyteText) {
  api::HttpRequest req;
  ASSERT_TRUE(ParseRequestTarget("/jobs/gr%C3%BC%C3%9F?name=%E2%82%AC", req).ok());
  EXPECT_EQ(req.path, "/jobs/gr\xC3\xBC\xC3\x9F");
  EXPECT_EQ(*req.Query("name"), "\xE2\x82\xAC");
}

TEST(RequestTargetTest, RejectsInvalidUtf8InThePathNamingIt) {
  api::HttpRequest req;
  Status s = ParseRequestTarget("/%ff", req);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "path");
  EXPECT_EQ(ParseRequestTarget("/api/v1/jobs/%C0%AF", req).field(), "path");  // overlong '/'
  EXPECT_EQ(ParseRequestTarget("/api/\xff", req).field(), "path");            // raw byte
}

TEST(RequestTargetTest, RejectsInvalidUtf8InAQueryValueNamingTheKey) {
  api::HttpRequest req;
  Status s = ParseRequestTarget("/api/v1/jobs?state=%ED%A0%80", req);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "state");
  EXPECT_EQ(ParseRequestTarget("/x?%ff=1", req).field(), "query key");
}

TEST(RequestTargetTest, RejectsNulBytes) {
  api::HttpRequest req;
  EXPECT_EQ(ParseRequestTarget("/a%00b", req).field(), "path");
  EXPECT_EQ(ParseRequestTarget("/a?user=x%00y", req).field(), "user");
}

TEST(RequestTargetTest, RejectsTargetsThatAreNotOriginForm) {
  api::HttpRequest req;
  EXPECT_FALSE(ParseRequestTarget("http://example.com/", req).ok());
  EXPECT_FALSE(ParseRequestTarget("*", req).ok());
  EXPECT_FALSE(ParseRequestTarget("", req).ok());
  req.path = "/unchanged";
  EXPECT_FALSE(ParseRequestTarget("/%ff", req).ok());
  EXPECT_EQ(req.path, "/unchanged");
}

}  // namespace
}  // namespace corral::server
