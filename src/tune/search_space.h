#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace corral::tune {

enum class ParamKind { kFloat, kInt, kCategorical };

// A parameter that exists only when an earlier categorical parameter takes one of some choices
// (e.g. `degree` only for kernel=poly).
struct ParamCondition {
  std::string parent{};
  std::vector<std::string> values{};
};

// One dimension of a search space, in a neutral form that Katib's `Experiment` parameters and
// the JSON protocol both translate to.
struct ParamSpec {
  std::string name{};
  ParamKind kind = ParamKind::kFloat;
  double low = 0;
  double high = 0;
  bool log = false;
  // Float: 0 means continuous, otherwise values are low + k*step. Int: the spacing (default 1).
  double step = 0;
  std::vector<std::string> choices{};  // categorical only; unordered
  std::optional<ParamCondition> condition{};
};

// A configuration: one number per parameter, in the space's order. Float: the value; int: the
// integer value; categorical: the index of the choice; NaN: the parameter is inactive.
using Assignment = std::vector<double>;

// A validated list of parameters with the mapping every sampler shares: numeric parameters go to
// the unit interval (after the log transform for log parameters); integers and stepped floats own
// equal-width cells of it, so uniform draws give each grid value the same mass.
class SearchSpace {
 public:
  SearchSpace() = default;
  // Checks names, bounds, steps, choices and conditions (parents must be earlier categoricals);
  // errors name the offending field as `params[i].<field>`.
  static Result<SearchSpace> Create(std::vector<ParamSpec> params);

  size_t size() const { return params_.size(); }
  const ParamSpec& param(size_t i) const { return params_[i]; }
  const std::vector<ParamSpec>& params() const { return params_; }
  std::optional<size_t> IndexOf(const std::string& name) const;
  // Index of parameter i's condition parent, or -1.
  int parent(size_t i) const { return parents_[i]; }
  bool has_conditions() const { return has_conditions_; }

  bool IsNumeric(size_t i) const { return params_[i].kind != ParamKind::kCategorical; }
  // Number of distinct values of a discrete parameter (int, stepped float, categorical); 0 for a
  // continuous float.
  size_t Cardinality(size_t i) const { return cardinality_[i]; }

  double ToUnit(size_t i, double value) const;
  // Inverse of ToUnit, with rounding to the parameter's grid and clamping to its bounds.
  double FromUnit(size_t i, double u) const;
  // The k-th value of a discrete parameter (k < Cardinality(i)).
  double DiscreteValue(size_t i, size_t k) const;

  // Whether parameter i is active given the (already decided) values of earlier parameters.
  bool IsActive(size_t i, const Assignment& a) const;
  // Sets inactive parameters to NaN; parents come first, so one forward pass suffices.
  void MaskInactive(Assignment& a) const;
  // Checks an assignment against the space (size, bounds, grid, activity).
  Status Validate(const Assignment& a) const;

  // JSON form: {"params": [{"name", "type": float|int|categorical, "low", "high", "log", "step",
  // "choices", "condition": {"parent", "values"}}]}. Unknown keys are errors.
  nlohmann::json ToJson() const;
  static Result<SearchSpace> FromJson(const nlohmann::json& j);
  // A parameter value as JSON: float -> number, int -> integer, categorical -> the choice string,
  // inactive -> null; and back.
  nlohmann::json ValueToJson(size_t i, double value) const;
  Result<double> ValueFromJson(size_t i, const nlohmann::json& j) const;

 private:
  std::vector<ParamSpec> params_;
  std::vector<int> parents_;
  std::vector<size_t> cardinality_;
  // Unit-interval mapping of numeric parameters: t = transform(value); u = (t - lo) / (hi - lo).
  std::vector<double> unit_lo_, unit_hi_;
  bool has_conditions_ = false;
};

const char* ParamKindName(ParamKind kind);

}  // namespace corral::tune
