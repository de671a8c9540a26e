#include "exec/local/child_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace corral::exec {
namespace {

using ::testing::Contains;
using ::testing::Not;

LaunchSpec TwoReplicaSpec() {
  LaunchSpec spec;
  spec.job = JobId(42);
  spec.attempt = 3;
  spec.argv = {"true"};
  spec.env = {{"FOO", "spec"}, {"BAR", "spec"}, {"CUDA_VISIBLE_DEVICES", "7"}};
  spec.replicas = {ReplicaLaunch{0, "n1", {2, 5}, {{"BAR", "replica"}}},
                   ReplicaLaunch{1, "n2", {}, {}}};
  return spec;
}

TEST(ChildEnvTest, GpuVariablesMatchTheReplicaAndCannotBeOverridden) {
  LaunchSpec spec = TwoReplicaSpec();
  std::vector<std::string> env0 = BuildChildEnv({{"PATH", "/bin"}}, spec, spec.replicas[0]);
  EXPECT_THAT(env0, Contains("CUDA_VISIBLE_DEVICES=2,5"));
  EXPECT_THAT(env0, Contains("NVIDIA_VISIBLE_DEVICES=2,5"));
  EXPECT_THAT(env0, Not(Contains("CUDA_VISIBLE_DEVICES=7")));
  std::vector<std::string> env1 = BuildChildEnv({{"PATH", "/bin"}}, spec, spec.replicas[1]);
  EXPECT_THAT(env1, Contains("CUDA_VISIBLE_DEVICES="));
  EXPECT_THAT(env1, Contains("NVIDIA_VISIBLE_DEVICES=none"));
}

TEST(ChildEnvTest, CorralVariablesAndPrecedence) {
  LaunchSpec spec = TwoReplicaSpec();
  std::vector<std::string> env =
      BuildChildEnv({{"PATH", "/bin"}, {"FOO", "inherited"}}, spec, spec.replicas[0]);
  EXPECT_THAT(env, Contains("PATH=/bin"));
  EXPECT_THAT(env, Contains("FOO=spec"));
  EXPECT_THAT(env, Contains("BAR=replica"));
  EXPECT_THAT(env, Contains("CORRAL_JOB_ID=42"));
  EXPECT_THAT(env, Contains("CORRAL_ATTEMPT=3"));
  EXPECT_THAT(env, Contains("CORRAL_REPLICA=0"));
  EXPECT_THAT(env, Contains("CORRAL_REPLICAS=2"));
  EXPECT_THAT(env, Contains("CORRAL_NODE=n1"));
}

TEST(ChildEnvTest, CaptureDefaultsPath) {
  std::map<std::string, std::string> env = CaptureInheritedEnv({"CORRAL_SURELY_UNSET_VARIABLE"});
  EXPECT_EQ(env.count("CORRAL_SURELY_UNSET_VARIABLE"), 0u);
  EXPECT_FALSE(env["PATH"].empty());
}

}  // namespace
}  // namespace corral::exec
