#include "tune/sampler.h"

#include <nlohmann/json.hpp>

#include "tune/cmaes_sampler.h"
#include "tune/gp_sampler.h"
#include "tune/grid_sampler.h"
#include "tune/random_sampler.h"
#include "tune/sobol_sampler.h"
#include "tune/tpe_sampler.h"

namespace corral::tune {

nlohmann::json Sampler::SaveState() const { return nullptr; }
Status Sampler::LoadState(const nlohmann::json&) { return Status::Ok(); }

Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerConfig& config, const SearchSpace& space,
                                             uint64_t seed) {
  const int dims = static_cast<int>(space.size());
  switch (config.kind) {
    case SamplerKind::kRandom:
      return std::unique_ptr<Sampler>(new RandomSampler(space));
    case SamplerKind::kGrid: {
      CORRAL_ASSIGN_OR_RETURN(auto grid, GridSampler::Create(space));
      return std::unique_ptr<Sampler>(std::move(grid));
    }
    case SamplerKind::kSobol: {
      CORRAL_ASSIGN_OR_RETURN(auto seq, SobolSequence::Create(dims, seed));
      return std::unique_ptr<Sampler>(new SobolSampler(space, std::move(seq)));
    }
    case SamplerKind::kTpe: {
      // Spaces wider than the Sobol table start with plain random draws.
      std::optional<SobolSequence> startup;
      if (auto seq = SobolSequence::Create(dims, seed); seq.ok()) startup = std::move(seq).value();
      return std::unique_ptr<Sampler>(new TpeSampler(space, config.tpe, std::move(startup)));
    }
    case SamplerKind::kCmaEs:
      return std::unique_ptr<Sampler>(new CmaEsSampler(space, config.cmaes));
    case SamplerKind::kGp: {
      std::optional<SobolSequence> startup;
      if (auto seq = SobolSequence::Create(dims, seed); seq.ok()) startup = std::move(seq).value();
      return std::unique_ptr<Sampler>(new GpSampler(space, config.gp, std::move(startup)));
    }
  }
  return InvalidArgument("sampler.name", "unknown sampler");
}

}  // namespace corral::tune
