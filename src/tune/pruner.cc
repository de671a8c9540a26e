#include "tune/pruner.h"

#include "tune/median_pruner.h"
#include "tune/successive_halving_pruner.h"

namespace corral::tune {
namespace {

class NopPruner : public Pruner {
 public:
  bool ShouldPrune(const Trial&, int64_t, const std::vector<Trial>&, Direction) const override {
    return false;
  }
};

}  // namespace

Result<std::unique_ptr<Pruner>> MakePruner(const PrunerConfig& config) {
  switch (config.kind) {
    case PrunerKind::kNone:
      return std::unique_ptr<Pruner>(new NopPruner());
    case PrunerKind::kMedian:
      return std::unique_ptr<Pruner>(new MedianPruner(config));
    case PrunerKind::kMeanOfFirst:
      return std::unique_ptr<Pruner>(new MeanOfFirstPruner(config));
    case PrunerKind::kAsha:
      return std::unique_ptr<Pruner>(new SuccessiveHalvingPruner(config));
    case PrunerKind::kHyperband:
      return std::unique_ptr<Pruner>(new HyperbandPruner(config));
  }
  return InvalidArgument("pruner.name", "unknown pruner");
}

}  // namespace corral::tune
