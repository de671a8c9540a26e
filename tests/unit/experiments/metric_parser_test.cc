#include <gtest/gtest.h>

#include <cmath>

#include "experiments/metric_parser.h"
#include "experiments/trial_template.h"

namespace corral::experiments {
namespace {

TEST(MetricParserTest, DefaultFilterFindsEveryPair) {
  auto p = MetricLineParser::Create({});
  ASSERT_TRUE(p.ok());
  auto m = p->Parse("epoch=3 loss=0.25 accuracy = 9.5e-1 lr=-1E+2 name=foo");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].name, "epoch");
  EXPECT_DOUBLE_EQ(m[0].value, 3);
  EXPECT_EQ(m[1].name, "loss");
  EXPECT_DOUBLE_EQ(m[1].value, 0.25);
  EXPECT_EQ(m[2].name, "accuracy");
  EXPECT_DOUBLE_EQ(m[2].value, 0.95);
  EXPECT_EQ(m[3].name, "lr");
  EXPECT_DOUBLE_EQ(m[3].value, -100);
}

TEST(MetricParserTest, LinesWithoutPairsGiveNothing) {
  auto p = MetricLineParser::Create({});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Parse("Epoch 3 done").empty());
  EXPECT_TRUE(p->Parse("").empty());
  EXPECT_TRUE(p->Parse("x=").empty());
}

TEST(MetricParserTest, CustomFilter) {
  auto p = MetricLineParser::Create({R"(([\w-]+):\s*([+-]?\d*(\.\d+)?))"});
  ASSERT_TRUE(p.ok());
  auto m = p->Parse("Validation-accuracy: 0.75 loss=3");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].name, "Validation-accuracy");
  EXPECT_DOUBLE_EQ(m[0].value, 0.75);
}

TEST(MetricParserTest, FilterNeedsTwoGroups) {
  auto p = MetricLineParser::Create({"loss=\\d+"});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().field(), "metricsFilters[0]");
  EXPECT_FALSE(MetricLineParser::Create({"(unclosed"}).ok());
}

TEST(MetricParserTest, TakeLinesKeepsTheUnfinishedLine) {
  std::string buffer = "a=1\r\nb=2\nc=";
  auto lines = TakeLines(buffer);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "a=1");
  EXPECT_EQ(lines[1], "b=2");
  EXPECT_EQ(buffer, "c=");
  buffer += "3\n";
  lines = TakeLines(buffer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "c=3");
  EXPECT_TRUE(buffer.empty());
}

TEST(MetricParserTest, JsonLinesGiveNumericMembers) {
  auto m = ParseJsonMetricLine(
      R"({"epoch": 2, "loss": "0.31", "acc": 0.9, "timestamp": "2021-12-02T14:27:51", "ok": true})");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].name, "acc");
  EXPECT_DOUBLE_EQ(m[0].value, 0.9);
  EXPECT_EQ(m[1].name, "epoch");
  EXPECT_EQ(m[2].name, "loss");
  EXPECT_DOUBLE_EQ(m[2].value, 0.31);
  EXPECT_TRUE(ParseJsonMetricLine("loss=0.3").empty());
  EXPECT_TRUE(ParseJsonMetricLine("[1, 2]").empty());
}

TEST(TrialTemplateTest, SubstitutesPlaceholders) {
  std::map<std::string, std::string> v = {{"lr", "0.01"}, {"opt", "adam"}};
  EXPECT_EQ(SubstitutePlaceholders("--lr=${trialParameters.lr} --o ${trialParameters.opt}", v, "t"),
            "--lr=0.01 --o adam");
  EXPECT_EQ(SubstitutePlaceholders("${HOME} ${trialParameters.zz}", v, "t"),
            "${HOME} ${trialParameters.zz}");
  EXPECT_EQ(SubstitutePlaceholders("/runs/${trialSpec.Name}/m", v, "exp-trial-3"),
            "/runs/exp-trial-3/m");
}

TEST(TrialTemplateTest, GivesTheTrialItsMetricsFile) {
  ExperimentSpec spec;
  spec.name = "exp";
  spec.trial.command = {"train"};
  spec.trial.workdir = "/w";
  spec.metrics_file =
      MetricsFileSpec{"out/${trialSpec.Name}-${trialParameters.x}.log", MetricsFileFormat::kText};
  JobSpec job = BuildTrialJob(spec, {{"x", "1.5"}}, {4, 7, "exp", ""});
  EXPECT_EQ(job.env.at("CORRAL_METRICS_FILE"), "/w/out/exp-trial-7-1.5.log");
  EXPECT_EQ(job.env.at("CORRAL_METRICS_FORMAT"), "text");
}

TEST(TrialTemplateTest, BuildsTheJob) {
  ExperimentSpec spec;
  spec.name = "exp";
  spec.trial.script = "echo ${trialParameters.x}";
  spec.trial.env = {{"X", "${trialParameters.x}"}};
  spec.trial.resources.gpus = 2;
  JobSpec job = BuildTrialJob(spec, {{"x", "1.5"}}, {4, 7, "exp", "http://h:1"});
  EXPECT_EQ(job.name, "exp-trial-7");
  EXPECT_EQ(job.script, "echo 1.5");
  EXPECT_EQ(job.env.at("X"), "1.5");
  EXPECT_EQ(job.env.at("CORRAL_EXPERIMENT"), "4");
  EXPECT_EQ(job.env.at("CORRAL_TRIAL"), "7");
  EXPECT_EQ(job.env.at("CORRAL_URL"), "http://h:1");
  EXPECT_EQ(job.resources.gpus, 2);
  EXPECT_EQ(job.priority, PriorityClass::kOpportunistic);
  EXPECT_TRUE(job.preemptible);
}

}  // namespace
}  // namespace corral::experiments
