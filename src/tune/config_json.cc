// JSON forms of SamplerConfig and PrunerConfig. Every option is typed and range-checked; an
// unknown name or option is an InvalidArgument naming the field.
#include <cmath>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "tune/pruner_config.h"
#include "tune/sampler_config.h"

namespace corral::tune {
namespace {

using nlohmann::json;
using Setter = std::function<Status(const json&, const std::string& field)>;

Setter IntOption(int64_t* out, int64_t min) {
  return [out, min](const json& v, const std::string& field) -> Status {
    if (!v.is_number_integer()) return InvalidArgument(field, "must be an integer");
    if (v.get<int64_t>() < min) return InvalidArgument(field, "must be >= " + std::to_string(min));
    *out = v.get<int64_t>();
    return Status::Ok();
  };
}
Setter IntOption(int* out, int64_t min) {
  return [out, min](const json& v, const std::string& field) -> Status {
    if (!v.is_number_integer()) return InvalidArgument(field, "must be an integer");
    if (v.get<int64_t>() < min || v.get<int64_t>() > 1'000'000)
      return InvalidArgument(field, "must be between " + std::to_string(min) + " and 1000000");
    *out = v.get<int>();
    return Status::Ok();
  };
}
Setter DoubleOption(double* out, double min, double max) {
  return [=](const json& v, const std::string& field) -> Status {
    if (!v.is_number()) return InvalidArgument(field, "must be a number");
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < min || x > max) return InvalidArgument(field, "out of range");
    *out = x;
    return Status::Ok();
  };
}
Setter BoolOption(bool* out) {
  return [out](const json& v, const std::string& field) -> Status {
    if (!v.is_boolean()) return InvalidArgument(field, "must be a boolean");
    *out = v.get<bool>();
    return Status::Ok();
  };
}

Status ApplyOptions(const json& j, const std::string& field,
                    const std::map<std::string, Setter>& options) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "name") continue;
    const std::string f = field + "." + it.key();
    auto opt = options.find(it.key());
    if (opt == options.end()) return InvalidArgument(f, "unknown setting '" + it.key() + "'");
    CORRAL_RETURN_IF_ERROR(opt->second(it.value(), f));
  }
  return Status::Ok();
}

}  // namespace

const char* SamplerKindName(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::kRandom:
      return "random";
    case SamplerKind::kGrid:
      return "grid";
    case SamplerKind::kSobol:
      return "sobol";
    case SamplerKind::kTpe:
      return "tpe";
    case SamplerKind::kCmaEs:
      return "cmaes";
    case SamplerKind::kGp:
      return "gp";
  }
  return "?";
}

const char* PrunerKindName(PrunerKind kind) {
  switch (kind) {
    case PrunerKind::kNone:
      return "none";
    case PrunerKind::kMedian:
      return "median";
    case PrunerKind::kMeanOfFirst:
      return "mean_of_first";
    case PrunerKind::kAsha:
      return "asha";
    case PrunerKind::kHyperband:
      return "hyperband";
  }
  return "?";
}

Result<SamplerConfig> SamplerConfigFromJson(const json& j, const std::string& field) {
  if (!j.is_object()) return InvalidArgument(field, "sampler must be an object");
  if (!j.contains("name") || !j["name"].is_string())
    return InvalidArgument(field + ".name", "sampler name must be a string");
  SamplerConfig c;
  const std::string name = j["name"].get<std::string>();
  std::map<std::string, Setter> options;
  if (name == "random")
    c.kind = SamplerKind::kRandom;
  else if (name == "grid")
    c.kind = SamplerKind::kGrid;
  else if (name == "sobol")
    c.kind = SamplerKind::kSobol;
  else if (name == "tpe")
    c.kind = SamplerKind::kTpe;
  else if (name == "cmaes")
    c.kind = SamplerKind::kCmaEs;
  else if (name == "gp")
    c.kind = SamplerKind::kGp;
  else
    return InvalidArgument(field + ".name", "unknown sampler '" + name + "'");
  if (c.kind == SamplerKind::kTpe) {
    options = {{"n_startup_trials", IntOption(&c.tpe.n_startup_trials, 0)},
               {"n_ei_candidates", IntOption(&c.tpe.n_ei_candidates, 1)},
               {"multivariate", BoolOption(&c.tpe.multivariate)},
               {"constant_liar", BoolOption(&c.tpe.constant_liar)},
               {"prior_weight", DoubleOption(&c.tpe.prior_weight, 0.0, 1e6)},
               {"gamma", DoubleOption(&c.tpe.gamma, 1e-6, 1.0)},
               {"gamma_max", IntOption(&c.tpe.gamma_max, 1)},
               {"equal_height_kernels", BoolOption(&c.tpe.equal_height_kernels)}};
  } else if (c.kind == SamplerKind::kCmaEs) {
    options = {{"sigma0", DoubleOption(&c.cmaes.sigma0, 0.0, 10.0)},
               {"population", IntOption(&c.cmaes.population, 0)},
               {"n_startup_trials", IntOption(&c.cmaes.n_startup_trials, 0)}};
  } else if (c.kind == SamplerKind::kGp) {
    options = {{"n_startup_trials", IntOption(&c.gp.n_startup_trials, 1)},
               {"n_candidates", IntOption(&c.gp.n_candidates, 1)}};
  }
  CORRAL_RETURN_IF_ERROR(ApplyOptions(j, field, options));
  return c;
}

json SamplerConfigToJson(const SamplerConfig& c) {
  json j = {{"name", SamplerKindName(c.kind)}};
  if (c.kind == SamplerKind::kTpe) {
    j["n_startup_trials"] = c.tpe.n_startup_trials;
    j["n_ei_candidates"] = c.tpe.n_ei_candidates;
    j["multivariate"] = c.tpe.multivariate;
    j["constant_liar"] = c.tpe.constant_liar;
    j["prior_weight"] = c.tpe.prior_weight;
    j["gamma"] = c.tpe.gamma;
    j["gamma_max"] = c.tpe.gamma_max;
    j["equal_height_kernels"] = c.tpe.equal_height_kernels;
  } else if (c.kind == SamplerKind::kCmaEs) {
    j["sigma0"] = c.cmaes.sigma0;
    j["population"] = c.cmaes.population;
    j["n_startup_trials"] = c.cmaes.n_startup_trials;
  } else if (c.kind == SamplerKind::kGp) {
    j["n_startup_trials"] = c.gp.n_startup_trials;
    j["n_candidates"] = c.gp.n_candidates;
  }
  return j;
}

Result<PrunerConfig> PrunerConfigFromJson(const json& j, const std::string& field) {
  if (!j.is_object()) return InvalidArgument(field, "pruner must be an object");
  if (!j.contains("name") || !j["name"].is_string())
    return InvalidArgument(field + ".name", "pruner name must be a string");
  PrunerConfig c;
  const std::string name = j["name"].get<std::string>();
  if (name == "none")
    c.kind = PrunerKind::kNone;
  else if (name == "median")
    c.kind = PrunerKind::kMedian;
  else if (name == "mean_of_first")
    c.kind = PrunerKind::kMeanOfFirst;
  else if (name == "asha")
    c.kind = PrunerKind::kAsha;
  else if (name == "hyperband")
    c.kind = PrunerKind::kHyperband;
  else
    return InvalidArgument(field + ".name", "unknown pruner '" + name + "'");
  std::map<std::string, Setter> options;
  if (c.kind == PrunerKind::kMedian || c.kind == PrunerKind::kMeanOfFirst) {
    options = {{"n_startup_trials", IntOption(&c.n_startup_trials, 0)},
               {"n_warmup_steps", IntOption(&c.n_warmup_steps, 0)},
               {"interval_steps", IntOption(&c.interval_steps, 1)}};
  } else if (c.kind == PrunerKind::kAsha || c.kind == PrunerKind::kHyperband) {
    options = {{"min_resource", IntOption(&c.min_resource, 1)},
               {"max_resource", IntOption(&c.max_resource, 1)},
               {"reduction_factor", IntOption(&c.reduction_factor, 2)}};
    if (c.kind == PrunerKind::kAsha)
      options["min_early_stopping_rate"] = IntOption(&c.min_early_stopping_rate, 0);
  }
  CORRAL_RETURN_IF_ERROR(ApplyOptions(j, field, options));
  if ((c.kind == PrunerKind::kAsha || c.kind == PrunerKind::kHyperband) &&
      c.max_resource < c.min_resource)
    return InvalidArgument(field + ".max_resource", "must be >= min_resource");
  return c;
}

json PrunerConfigToJson(const PrunerConfig& c) {
  json j = {{"name", PrunerKindName(c.kind)}};
  if (c.kind == PrunerKind::kMedian || c.kind == PrunerKind::kMeanOfFirst) {
    j["n_startup_trials"] = c.n_startup_trials;
    j["n_warmup_steps"] = c.n_warmup_steps;
    j["interval_steps"] = c.interval_steps;
  } else if (c.kind == PrunerKind::kAsha || c.kind == PrunerKind::kHyperband) {
    j["min_resource"] = c.min_resource;
    j["max_resource"] = c.max_resource;
    j["reduction_factor"] = c.reduction_factor;
    if (c.kind == PrunerKind::kAsha) j["min_early_stopping_rate"] = c.min_early_stopping_rate;
  }
  return j;
}

}  // namespace corral::tune
