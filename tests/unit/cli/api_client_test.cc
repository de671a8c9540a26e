#include "cli/api_client.h"

#include <gtest/gtest.h>

#include "unit/cli/fake_http_client.h"

namespace corral::cli {
namespace {

using testing::FakeHttpClient;

Connection LocalConnection(std::string token = "tok") {
  return Connection{"http://127.0.0.1:8080", std::move(token), "--token"};
}

TEST(BuildQueryTest, EncodesNamesAndValuesAndKeepsRepeats) {
  EXPECT_EQ(BuildQuery({}), "");
  EXPECT_EQ(BuildQuery({{"state", "running,pending"}, {"label", "team=a b"}, {"label", "x=1"}}),
            "?state=running%2Cpending&label=team%3Da%20b&label=x%3D1");
  EXPECT_EQ(PercentEncode("a-b_c.d~e/ü"), "a-b_c.d~e%2F%C3%BC");
}

TEST(StatusFromErrorReplyTest, ReadsCorralErrorBody) {
  Status s = StatusFromErrorReply(
      400,
      R"({"error": {"code": "invalid_argument", "message": "resources.gpus: must be >= 0",
          "details": {"field": "resources.gpus"}}})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "resources.gpus: must be >= 0");
  EXPECT_EQ(s.field(), "resources.gpus");

  Status infeasible = StatusFromErrorReply(
      422, R"({"error": {"code": "infeasible", "message": "needs 16 GPUs on one node"}})");
  EXPECT_EQ(infeasible.code(), StatusCode::kInfeasible);
  EXPECT_EQ(infeasible.field(), "");
}

TEST(StatusFromErrorReplyTest, FallsBackToHttpStatusForForeignBodies) {
  Status s = StatusFromErrorReply(503, "<html>\n<body>Bad gateway</body></html>");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "HTTP 503: <html> <body>Bad gateway</body></html>");
  EXPECT_EQ(StatusFromErrorReply(401, "").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(StatusFromErrorReply(403, "{}").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusFromErrorReply(404, "not found").code(), StatusCode::kNotFound);
  EXPECT_EQ(StatusFromErrorReply(409, "").code(), StatusCode::kFailedPrecondition);
  // An error code this client does not know yet still reads as a failure.
  EXPECT_EQ(StatusFromErrorReply(418, R"({"error": {"code": "teapot", "message": "m"}})").code(),
            StatusCode::kInternal);
}

TEST(ApiClientTest, SendsBearerTokenAndBuildsUrl) {
  FakeHttpClient http;
  http.Push(200, R"({"name": "alice", "role": "user"})");
  ApiClient api(http, LocalConnection());
  auto me = api.GetJson("/whoami");
  ASSERT_TRUE(me.ok());
  EXPECT_EQ((*me)["name"], "alice");
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].method, "GET");
  EXPECT_EQ(http.requests[0].url, "http://127.0.0.1:8080/api/v1/whoami");
  EXPECT_EQ(http.Header(0, "Authorization"), "Bearer tok");
}

TEST(ApiClientTest, NoAuthorizationHeaderWithoutToken) {
  FakeHttpClient http;
  http.Push(401, R"({"error": {"code": "unauthenticated", "message": "missing token"}})");
  ApiClient api(http, LocalConnection(""));
  auto me = api.GetJson("/whoami");
  ASSERT_FALSE(me.ok());
  EXPECT_EQ(me.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(http.Header(0, "Authorization"), "");
}

TEST(ApiClientTest, PostsJsonWithContentType) {
  FakeHttpClient http;
  http.Push(201, R"({"id": 3})");
  ApiClient api(http, LocalConnection());
  auto job = api.PostJson("/jobs", {{"command", {"true"}}});
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(http.requests[0].method, "POST");
  EXPECT_EQ(http.Header(0, "Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(http.requests[0].body)["command"][0], "true");
}

TEST(ApiClientTest, UnreachableServerNamesTheUrl) {
  FakeHttpClient http;
  http.PushUnreachable("Connection refused");
  ApiClient api(http, LocalConnection());
  auto reply = api.GetJson("/jobs");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(reply.status().message(),
            "cannot reach the Corral server at http://127.0.0.1:8080 (Connection refused); is "
            "`corral server` running?");
}

TEST(ApiClientTest, NonJsonSuccessIsAnError) {
  FakeHttpClient http;
  http.Push(200, "<html>hello</html>", "text/html");
  ApiClient api(http, LocalConnection());
  auto reply = api.GetJson("/jobs");
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.status().message().find("not JSON"), std::string::npos);
}

TEST(ApiClientTest, FollowEventsDeliversEventsAndStopsEarly) {
  FakeHttpClient http;
  http.PushStream(
      {"event: log\ndata: a\n\nevent: en", "d\ndata: {}\n\n", "event: log\ndata: z\n\n"});
  ApiClient api(http, LocalConnection());
  std::vector<std::string> types;
  Status s = api.FollowEvents("/jobs/1/logs?follow=true", [&](const SseEvent& e) {
    types.push_back(e.type);
    return e.type != "end";
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(types, (std::vector<std::string>{"log", "end"}));
  EXPECT_EQ(http.chunks_delivered, 2);
  EXPECT_EQ(http.Header(0, "Accept"), "text/event-stream");
}

TEST(ApiClientTest, FollowEventsReportsErrorReply) {
  FakeHttpClient http;
  http.Push(404, R"({"error": {"code": "not_found", "message": "job 9 not found"}})");
  ApiClient api(http, LocalConnection());
  Status s = api.FollowEvents("/jobs/9/logs?follow=true", [](const SseEvent&) { return true; });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "job 9 not found");
}

}  // namespace
}  // namespace corral::cli
