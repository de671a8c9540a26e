#include "tune/sobol_sampler.h"

#include <nlohmann/json.hpp>

namespace corral::tune {

Assignment FromUnitPoint(const SearchSpace& space, const std::vector<double>& u) {
  Assignment a(space.size());
  for (size_t i = 0; i < space.size(); ++i) a[i] = space.FromUnit(i, u[i]);
  space.MaskInactive(a);
  return a;
}

Result<Assignment> SobolSampler::Suggest(const std::vector<Trial>&, Direction, Rng&) {
  return FromUnitPoint(space_, sequence_.Point(next_index_++));
}

nlohmann::json SobolSampler::SaveState() const { return {{"next_index", next_index_}}; }

Status SobolSampler::LoadState(const nlohmann::json& state) {
  if (!state.is_object() || !state.contains("next_index") ||
      !state["next_index"].is_number_unsigned())
    return InvalidArgument("sampler_state.next_index", "missing or not an unsigned integer");
  next_index_ = state["next_index"].get<uint64_t>();
  return Status::Ok();
}

}  // namespace corral::tune
