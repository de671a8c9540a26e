#include "tune/grid_sampler.h"

#include <nlohmann/json.hpp>

namespace corral::tune {

Result<std::unique_ptr<GridSampler>> GridSampler::Create(const SearchSpace& space) {
  std::unique_ptr<GridSampler> g(new GridSampler(space));
  constexpr uint64_t kMaxGrid = uint64_t{1} << 40;
  for (size_t i = 0; i < space.size(); ++i) {
    const std::string field = "params[" + std::to_string(i) + "]";
    if (space.param(i).condition)
      return InvalidArgument(field + ".condition",
                             "grid search does not take conditional parameters");
    const uint64_t n = space.Cardinality(i);
    if (n == 0)
      return InvalidArgument(field + ".step", "grid search needs a step for float parameters");
    if (g->grid_size_ > kMaxGrid / n)
      return InvalidArgument("params", "grid has more than 2^40 points");
    g->grid_size_ *= n;
  }
  return g;
}

Result<Assignment> GridSampler::Suggest(const std::vector<Trial>&, Direction, Rng&) {
  if (next_index_ >= grid_size_)
    return Status(StatusCode::kResourceExhausted, "every grid point has been suggested");
  uint64_t rest = next_index_++;
  Assignment a(space_.size());
  for (size_t i = space_.size(); i-- > 0;) {
    const uint64_t n = space_.Cardinality(i);
    a[i] = space_.DiscreteValue(i, rest % n);
    rest /= n;
  }
  return a;
}

nlohmann::json GridSampler::SaveState() const { return {{"next_index", next_index_}}; }

Status GridSampler::LoadState(const nlohmann::json& state) {
  if (!state.is_object() || !state.contains("next_index") ||
      !state["next_index"].is_number_unsigned())
    return InvalidArgument("sampler_state.next_index", "missing or not an unsigned integer");
  next_index_ = state["next_index"].get<uint64_t>();
  return Status::Ok();
}

}  // namespace corral::tune
