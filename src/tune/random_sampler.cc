#include "tune/random_sampler.h"

namespace corral::tune {

Assignment SampleUniform(const SearchSpace& space, Rng& rng) {
  Assignment a(space.size());
  for (size_t i = 0; i < space.size(); ++i) {
    if (space.param(i).kind == ParamKind::kCategorical)
      a[i] = static_cast<double>(rng.Below(space.Cardinality(i)));
    else
      a[i] = space.FromUnit(i, rng.Uniform01());
  }
  space.MaskInactive(a);
  return a;
}

Result<Assignment> RandomSampler::Suggest(const std::vector<Trial>&, Direction, Rng& rng) {
  return SampleUniform(space_, rng);
}

}  // namespace corral::tune
