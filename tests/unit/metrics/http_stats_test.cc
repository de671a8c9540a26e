#include "metrics/http_stats.h"

#include <gtest/gtest.h>

#include "metric_lookup.h"

namespace corral::metrics {
namespace {

TEST(HttpStatsTest, RouteClassesAreBoundedAndHideIds) {
  EXPECT_STREQ(RouteClass("/metrics"), "metrics");
  EXPECT_STREQ(RouteClass("/healthz"), "healthz");
  EXPECT_STREQ(RouteClass("/api/v1/jobs"), "api/jobs");
  EXPECT_STREQ(RouteClass("/api/v1/jobs/123"), "api/jobs");
  EXPECT_STREQ(RouteClass("/api/v1/jobs/123/logs"), "api/jobs/logs");
  EXPECT_STREQ(RouteClass("/api/v1/experiments/4/trials/2/metrics"), "api/experiments");
  EXPECT_STREQ(RouteClass("/api/v1/openapi.json"), "api/openapi");
  EXPECT_STREQ(RouteClass("/api/v1/no-such-thing/123"), "api/other");
  EXPECT_STREQ(RouteClass("/api/v1/"), "api/other");
  EXPECT_STREQ(RouteClass("/nb/12/lab"), "notebook");
  EXPECT_STREQ(RouteClass("/"), "ui");
  EXPECT_STREQ(RouteClass("/assets/index-abc.js"), "ui");
}

TEST(HttpStatsTest, CountsByRouteMethodAndCodeAndTimesByRoute) {
  HttpStats stats;
  stats.Record("api/jobs", "GET", 200, 0.001);
  stats.Record("api/jobs", "GET", 200, 0.002);
  stats.Record("api/jobs", "POST", 400, 0.001);
  stats.Record("api/jobs", "BREW", 400, 0.001);
  stats.SetOpenConnections([] { return int64_t{5}; });
  std::vector<Family> out;
  stats.Collect(out);
  using testing::ValueOf;
  EXPECT_EQ(ValueOf(out, "corral_http_requests_total",
                    {{"route", "api/jobs"}, {"method", "GET"}, {"code", "200"}}),
            2);
  EXPECT_EQ(ValueOf(out, "corral_http_requests_total",
                    {{"route", "api/jobs"}, {"method", "other"}, {"code", "400"}}),
            1);
  EXPECT_EQ(ValueOf(out, "corral_http_open_connections"), 5);
  bool has_count = false;
  for (const auto& f : out)
    for (const auto& s : f.samples)
      if (f.name == "corral_http_request_duration_seconds" && s.suffix == "_count") {
        has_count = true;
        EXPECT_EQ(s.value, 4);
      }
  EXPECT_TRUE(has_count);
}

}  // namespace
}  // namespace corral::metrics
