#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace corral::metrics {
namespace {

TEST(ExpositionTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue(R"(a\b)"), R"(a\\b)");
  EXPECT_EQ(EscapeLabelValue(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), R"(two\nlines)");
  // A tab and a carriage return are legal as they are.
  EXPECT_EQ(EscapeLabelValue("a\tb\rc"), "a\tb\rc");
}

TEST(ExpositionTest, InvalidUtf8InLabelValuesIsReplaced) {
  EXPECT_EQ(EscapeLabelValue("q\xff"), "q\xEF\xBF\xBD");
  EXPECT_EQ(EscapeLabelValue("gr\xC3\xBC\xC3\x9F"), "gr\xC3\xBC\xC3\x9F");
}

TEST(ExpositionTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(EscapeHelp("a \"quoted\" \\ path\nnext"), "a \"quoted\" \\\\ path\\nnext");
}

TEST(ExpositionTest, ValuesUseTheFormatsSpelling) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(-1.5), "-1.5");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(1e-7), "1e-07");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  // Round trip of a value with many digits.
  double v = 0.1 + 0.2;
  EXPECT_EQ(std::stod(FormatValue(v)), v);
}

TEST(ExpositionTest, NamesFollowTheDataModel) {
  EXPECT_TRUE(IsValidMetricName("corral_jobs"));
  EXPECT_TRUE(IsValidMetricName("a:b_c1"));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("queue"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("9x"));
}

TEST(ExpositionTest, RendersAFamilyWithHelpTypeAndLabels) {
  Family f("corral_queue_pending_jobs", "Jobs waiting.\nSecond line", MetricType::kGauge);
  f.Add({{"queue", "a\"b"}, {"priority", "normal"}}, 3);
  f.Add({}, 0.5);
  EXPECT_EQ(RenderText({f}),
            "# HELP corral_queue_pending_jobs Jobs waiting.\\nSecond line\n"
            "# TYPE corral_queue_pending_jobs gauge\n"
            "corral_queue_pending_jobs{queue=\"a\\\"b\",priority=\"normal\"} 3\n"
            "corral_queue_pending_jobs 0.5\n");
}

TEST(ExpositionTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  HistogramData d;
  d.bounds = {0.1, 1};
  d.counts = {2, 1, 4};  // 2 <= 0.1, 1 in (0.1, 1], 4 above
  d.sum = 12.5;
  d.count = 7;
  Family f("x_seconds", "X.", MetricType::kHistogram);
  f.AddHistogram({{"task", "t"}}, d);
  EXPECT_EQ(RenderText({f}),
            "# HELP x_seconds X.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{task=\"t\",le=\"0.1\"} 2\n"
            "x_seconds_bucket{task=\"t\",le=\"1\"} 3\n"
            "x_seconds_bucket{task=\"t\",le=\"+Inf\"} 7\n"
            "x_seconds_sum{task=\"t\"} 12.5\n"
            "x_seconds_count{task=\"t\"} 7\n");
}

TEST(ExpositionTest, AFamilyWithAnInvalidNameOrLabelIsLeftOutWhole) {
  Family bad_name("bad-name", "x", MetricType::kGauge);
  bad_name.Add({}, 1);
  Family bad_label("ok_name", "x", MetricType::kGauge);
  bad_label.Add({{"fine", "1"}}, 1);
  bad_label.Add({{"not-fine", "1"}}, 1);
  Family good("good", "g", MetricType::kCounter);
  good.Add({}, 1);
  EXPECT_EQ(RenderText({bad_name, bad_label, good}),
            "# HELP good g\n# TYPE good counter\ngood 1\n");
}

}  // namespace
}  // namespace corral::metrics
