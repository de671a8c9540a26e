// `tpe_overhead_bench [multivariate|independent [N...]]`: CPU time of one Study::Ask with the TPE
// sampler at N completed trials on the protocol's 5-D mixed space (S1 of bench_hpo.py without the
// Python driver and pipe), for quick measurements while working on the sampler. Figures are
// relative to N = 100 in the same run; bench_hpo.py's S1 suite is the reference measurement.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tune/rng.h"
#include "tune/study.h"

namespace {

using namespace corral::tune;

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double Objective(const Assignment& a) {
  double v = 0;
  for (double x : a) v += x * x * 1e-3;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const bool multivariate = argc >= 2 && std::strcmp(argv[1], "multivariate") == 0;
  std::vector<ParamSpec> p(5);
  p[0] = {.name = "x", .kind = ParamKind::kFloat, .low = -5, .high = 5};
  p[1] = {.name = "y", .kind = ParamKind::kFloat, .low = 0, .high = 1};
  p[2] = {.name = "lr", .kind = ParamKind::kFloat, .low = 1e-5, .high = 1, .log = true};
  p[3] = {.name = "n", .kind = ParamKind::kInt, .low = 1, .high = 100};
  p[4] = {.name = "opt", .kind = ParamKind::kCategorical, .choices = {"a", "b", "c", "d"}};
  StudyConfig config;
  config.space = *SearchSpace::Create(p);
  config.sampler.kind = SamplerKind::kTpe;
  config.sampler.tpe.multivariate = multivariate;
  auto study = Study::Create(config);
  if (!study.ok()) return 1;
  Rng rng(7);
  std::vector<int> checkpoints = {100, 500, 1000, 2000};
  if (argc >= 3) {
    checkpoints.clear();
    for (int i = 2; i < argc; ++i) checkpoints.push_back(std::atoi(argv[i]));
  }
  double base = 0;
  size_t n = 0;
  for (int cp : checkpoints) {
    while (n < static_cast<size_t>(cp)) {
      Assignment a(5);
      for (size_t i = 0; i < 5; ++i) a[i] = config.space.FromUnit(i, rng.Uniform01());
      auto t = study->Enqueue(a);
      (void)study->Tell(t->number, Objective(t->params));
      ++n;
    }
    std::vector<double> ms;
    for (int w = 0; w < 30; ++w) {
      const double t0 = ThreadCpuMs();
      auto t = study->Ask(1);
      ms.push_back(ThreadCpuMs() - t0);
      (void)study->Tell((*t)[0].number, Objective((*t)[0].params));
      ++n;
    }
    std::sort(ms.begin(), ms.end());
    const double med = ms[ms.size() / 2];
    if (base == 0) base = med;
    std::printf("%s N=%d ask %.3f ms CPU (median of 30; x%.2f vs N=100)\n",
                multivariate ? "tpe_mv" : "tpe", cp, med, med / base);
  }
  return 0;
}
