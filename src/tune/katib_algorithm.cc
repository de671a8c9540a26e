#include "tune/katib_algorithm.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace corral::tune {
namespace {

std::string SettingField(const char* prefix, size_t i) {
  return std::string(prefix) + ".algorithmSettings[" + std::to_string(i) + "]";
}

Result<int64_t> ParseInt(const std::string& s, const std::string& field, int64_t min) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return InvalidArgument(field, "'" + s + "' is not an integer");
  if (v < min) return InvalidArgument(field, "must be >= " + std::to_string(min));
  return v;
}

Result<double> ParseDouble(const std::string& s, const std::string& field) {
  // std::from_chars for double is available in g++ 12.
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v))
    return InvalidArgument(field, "'" + s + "' is not a number");
  return v;
}

}  // namespace

Result<SearchSpace> SearchSpaceFromKatib(const std::vector<KatibParameter>& parameters) {
  std::vector<ParamSpec> specs;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const KatibParameter& k = parameters[i];
    const std::string f = "parameters[" + std::to_string(i) + "]";
    ParamSpec p;
    p.name = k.name;
    if (k.distribution == "logUniform")
      p.log = true;
    else if (!k.distribution.empty() && k.distribution != "uniform")
      return InvalidArgument(
          f + ".feasibleSpace.distribution",
          "distribution '" + k.distribution + "' is not supported (uniform, logUniform)");
    if (k.parameter_type == "double" || k.parameter_type == "int") {
      p.kind = k.parameter_type == "int" ? ParamKind::kInt : ParamKind::kFloat;
      if (k.min.empty()) return InvalidArgument(f + ".feasibleSpace.min", "min is required");
      if (k.max.empty()) return InvalidArgument(f + ".feasibleSpace.max", "max is required");
      CORRAL_ASSIGN_OR_RETURN(p.low, ParseDouble(k.min, f + ".feasibleSpace.min"));
      CORRAL_ASSIGN_OR_RETURN(p.high, ParseDouble(k.max, f + ".feasibleSpace.max"));
      if (!k.step.empty()) {
        CORRAL_ASSIGN_OR_RETURN(p.step, ParseDouble(k.step, f + ".feasibleSpace.step"));
      }
      if (!k.list.empty())
        return InvalidArgument(f + ".feasibleSpace.list", "list is only for categorical/discrete");
    } else if (k.parameter_type == "categorical" || k.parameter_type == "discrete") {
      p.kind = ParamKind::kCategorical;
      if (k.list.empty()) return InvalidArgument(f + ".feasibleSpace.list", "list is required");
      if (p.log) return InvalidArgument(f + ".feasibleSpace.distribution", "not for a list");
      p.choices = k.list;
    } else {
      return InvalidArgument(f + ".parameterType", "unknown parameterType '" + k.parameter_type +
                                                       "' (double, int, categorical, discrete)");
    }
    specs.push_back(std::move(p));
  }
  Result<SearchSpace> space = SearchSpace::Create(std::move(specs));
  if (!space.ok()) {
    // Rename params[i].low/high/step/choices to Katib's field names.
    std::string field = space.status().field();
    const std::pair<const char*, const char*> renames[] = {{".low", ".feasibleSpace.min"},
                                                           {".high", ".feasibleSpace.max"},
                                                           {".step", ".feasibleSpace.step"},
                                                           {".choices", ".feasibleSpace.list"},
                                                           {".log", ".feasibleSpace.distribution"}};
    if (field.rfind("params", 0) == 0) field.replace(0, 6, "parameters");
    for (const auto& [from, to] : renames) {
      const auto pos = field.rfind(from);
      if (pos != std::string::npos && pos + std::char_traits<char>::length(from) == field.size()) {
        field.replace(pos, field.size() - pos, to);
        break;
      }
    }
    return InvalidArgument(field, space.status().message());
  }
  return space;
}

Result<KatibAlgorithm> AlgorithmFromKatib(const std::string& name,
                                          const std::vector<KatibSetting>& settings) {
  KatibAlgorithm out;
  SamplerConfig& s = out.sampler;
  if (name == "random")
    s.kind = SamplerKind::kRandom;
  else if (name == "grid")
    s.kind = SamplerKind::kGrid;
  else if (name == "sobol")
    s.kind = SamplerKind::kSobol;
  else if (name == "tpe")
    s.kind = SamplerKind::kTpe;
  else if (name == "multivariate-tpe") {
    s.kind = SamplerKind::kTpe;
    s.tpe.multivariate = true;
  } else if (name == "cmaes")
    s.kind = SamplerKind::kCmaEs;
  else if (name == "bayesianoptimization")
    s.kind = SamplerKind::kGp;
  else if (name == "hyperband") {
    s.kind = SamplerKind::kRandom;
    PrunerConfig p;
    p.kind = PrunerKind::kHyperband;
    out.pruner = p;
  } else {
    return InvalidArgument("algorithm.algorithmName",
                           "unknown algorithm '" + name +
                               "' (random, grid, tpe, multivariate-tpe, cmaes, sobol, "
                               "bayesianoptimization, hyperband)");
  }
  for (size_t i = 0; i < settings.size(); ++i) {
    const auto& [key, value] = settings[i];
    const std::string f = SettingField("algorithm", i);
    if (key == "random_state" && name != "grid") {
      CORRAL_ASSIGN_OR_RETURN(int64_t seed, ParseInt(value, f, 0));
      out.seed = static_cast<uint64_t>(seed);
    } else if ((name == "tpe" || name == "multivariate-tpe") && key == "n_startup_trials") {
      CORRAL_ASSIGN_OR_RETURN(int64_t v, ParseInt(value, f, 0));
      s.tpe.n_startup_trials = static_cast<int>(v);
    } else if ((name == "tpe" || name == "multivariate-tpe") && key == "n_ei_candidates") {
      CORRAL_ASSIGN_OR_RETURN(int64_t v, ParseInt(value, f, 1));
      s.tpe.n_ei_candidates = static_cast<int>(v);
    } else if ((name == "tpe" || name == "multivariate-tpe") && key == "constant_liar") {
      if (value != "true" && value != "false")
        return InvalidArgument(f, "constant_liar must be true or false");
      s.tpe.constant_liar = value == "true";
    } else if (name == "cmaes" && key == "sigma") {
      CORRAL_ASSIGN_OR_RETURN(s.cmaes.sigma0, ParseDouble(value, f));
      if (s.cmaes.sigma0 <= 0) return InvalidArgument(f, "sigma must be > 0");
    } else if (name == "cmaes" && key == "restart_strategy") {
      if (value != "none" && !value.empty())
        return InvalidArgument(f, "restart_strategy '" + value + "' is not supported (none)");
    } else if (name == "bayesianoptimization" && key == "base_estimator") {
      if (value != "GP")
        return InvalidArgument(f, "base_estimator '" + value + "' is not supported (GP)");
    } else if (name == "bayesianoptimization" && key == "n_initial_points") {
      CORRAL_ASSIGN_OR_RETURN(int64_t v, ParseInt(value, f, 1));
      s.gp.n_startup_trials = static_cast<int>(v);
    } else if (name == "bayesianoptimization" && key == "acq_func") {
      if (value != "EI" && value != "gp_hedge")
        return InvalidArgument(f,
                               "acq_func '" + value + "' is not supported (EI; gp_hedge means EI)");
    } else if (name == "bayesianoptimization" && key == "acq_optimizer") {
      if (value != "auto" && value != "sampling" && value != "lbfgs")
        return InvalidArgument(f, "acq_optimizer '" + value + "' is not supported");
    } else if (name == "hyperband" && key == "r_l") {
      CORRAL_ASSIGN_OR_RETURN(int64_t v, ParseInt(value, f, 1));
      out.pruner->max_resource = v;
    } else if (name == "hyperband" && key == "eta") {
      CORRAL_ASSIGN_OR_RETURN(int64_t v, ParseInt(value, f, 2));
      out.pruner->reduction_factor = v;
    } else if (name == "hyperband" && key == "resource_name") {
      out.resource_name = value;
    } else {
      return InvalidArgument(f, "unknown setting '" + key + "' for algorithm '" + name + "'");
    }
  }
  return out;
}

Result<PrunerConfig> EarlyStoppingFromKatib(const std::string& name,
                                            const std::vector<KatibSetting>& settings) {
  if (name != "medianstop")
    return InvalidArgument("earlyStopping.algorithmName",
                           "unknown early stopping algorithm '" + name + "' (medianstop)");
  // Katib's defaults: three completed trials, checks from step 4, against the median of the
  // completed trials' running averages.
  PrunerConfig p;
  p.kind = PrunerKind::kMeanOfFirst;
  p.n_startup_trials = 3;
  p.n_warmup_steps = 4;
  for (size_t i = 0; i < settings.size(); ++i) {
    const auto& [key, value] = settings[i];
    const std::string f = SettingField("earlyStopping", i);
    if (key == "min_trials_required") {
      CORRAL_ASSIGN_OR_RETURN(int64_t v, ParseInt(value, f, 1));
      p.n_startup_trials = static_cast<int>(v);
    } else if (key == "start_step") {
      CORRAL_ASSIGN_OR_RETURN(p.n_warmup_steps, ParseInt(value, f, 1));
    } else {
      return InvalidArgument(f, "unknown setting '" + key + "' for medianstop");
    }
  }
  return p;
}

}  // namespace corral::tune
