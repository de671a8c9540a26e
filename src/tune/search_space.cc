#include "tune/search_space.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

namespace corral::tune {
namespace {

using nlohmann::json;

std::string Field(size_t i, const char* name) {
  return "params[" + std::to_string(i) + "]." + name;
}

bool IsFinite(double x) { return std::isfinite(x); }

// Largest value of a stepped parameter that does not exceed high.
size_t StepCount(double low, double high, double step) {
  return static_cast<size_t>(std::floor((high - low) / step + 1e-9)) + 1;
}

}  // namespace

const char* ParamKindName(ParamKind kind) {
  switch (kind) {
    case ParamKind::kFloat:
      return "float";
    case ParamKind::kInt:
      return "int";
    case ParamKind::kCategorical:
      return "categorical";
  }
  return "?";
}

Result<SearchSpace> SearchSpace::Create(std::vector<ParamSpec> params) {
  SearchSpace s;
  if (params.empty())
    return InvalidArgument("params", "a search space needs at least one parameter");
  std::set<std::string> names;
  for (size_t i = 0; i < params.size(); ++i) {
    ParamSpec& p = params[i];
    if (p.name.empty()) return InvalidArgument(Field(i, "name"), "parameter name is empty");
    if (!names.insert(p.name).second)
      return InvalidArgument(Field(i, "name"), "duplicate parameter name '" + p.name + "'");
    size_t cardinality = 0;
    double lo = 0, hi = 1;
    if (p.kind == ParamKind::kCategorical) {
      if (p.choices.empty())
        return InvalidArgument(Field(i, "choices"), "categorical needs choices");
      std::set<std::string> seen(p.choices.begin(), p.choices.end());
      if (seen.size() != p.choices.size())
        return InvalidArgument(Field(i, "choices"), "duplicate choice in '" + p.name + "'");
      cardinality = p.choices.size();
    } else {
      if (!p.choices.empty())
        return InvalidArgument(Field(i, "choices"), "choices are only for categorical parameters");
      if (!IsFinite(p.low)) return InvalidArgument(Field(i, "low"), "low must be finite");
      if (!IsFinite(p.high)) return InvalidArgument(Field(i, "high"), "high must be finite");
      if (p.high < p.low) return InvalidArgument(Field(i, "high"), "high must be >= low");
      if (p.log && p.low <= 0) return InvalidArgument(Field(i, "low"), "log scale needs low > 0");
      if (!IsFinite(p.step) || p.step < 0)
        return InvalidArgument(Field(i, "step"), "step must be a finite number >= 0");
      if (p.kind == ParamKind::kInt) {
        if (p.low != std::floor(p.low))
          return InvalidArgument(Field(i, "low"), "int low must be an integer");
        if (p.high != std::floor(p.high))
          return InvalidArgument(Field(i, "high"), "int high must be an integer");
        if (p.step == 0) p.step = 1;
        if (p.step != std::floor(p.step))
          return InvalidArgument(Field(i, "step"), "int step must be an integer");
      }
      if (p.log && p.step != 0 && !(p.kind == ParamKind::kInt && p.step == 1))
        return InvalidArgument(Field(i, "step"), "log scale cannot be combined with a step");
      if (p.step > 0) {
        cardinality = StepCount(p.low, p.high, p.step);
        const double top = p.low + static_cast<double>(cardinality - 1) * p.step;
        // Each grid value owns a cell of equal width (in the transformed scale for log ints).
        if (p.log) {
          lo = std::log(p.low - 0.5 * p.step > 0 ? p.low - 0.5 * p.step : p.low * 0.5);
          hi = std::log(top + 0.5 * p.step);
        } else {
          lo = p.low - 0.5 * p.step;
          hi = top + 0.5 * p.step;
        }
      } else if (p.log) {
        lo = std::log(p.low);
        hi = std::log(p.high);
      } else {
        lo = p.low;
        hi = p.high;
      }
    }
    int parent = -1;
    if (p.condition) {
      const auto& c = *p.condition;
      auto it = std::find_if(params.begin(), params.begin() + static_cast<long>(i),
                             [&](const ParamSpec& q) { return q.name == c.parent; });
      if (it == params.begin() + static_cast<long>(i))
        return InvalidArgument(Field(i, "condition.parent"),
                               "condition parent '" + c.parent + "' is not an earlier parameter");
      if (it->kind != ParamKind::kCategorical)
        return InvalidArgument(Field(i, "condition.parent"),
                               "condition parent must be categorical");
      if (c.values.empty())
        return InvalidArgument(Field(i, "condition.values"), "condition needs at least one value");
      for (const auto& v : c.values)
        if (std::find(it->choices.begin(), it->choices.end(), v) == it->choices.end())
          return InvalidArgument(Field(i, "condition.values"),
                                 "'" + v + "' is not a choice of '" + c.parent + "'");
      parent = static_cast<int>(it - params.begin());
      s.has_conditions_ = true;
    }
    s.parents_.push_back(parent);
    s.cardinality_.push_back(cardinality);
    s.unit_lo_.push_back(lo);
    s.unit_hi_.push_back(hi);
  }
  s.params_ = std::move(params);
  return s;
}

std::optional<size_t> SearchSpace::IndexOf(const std::string& name) const {
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i].name == name) return i;
  return std::nullopt;
}

double SearchSpace::ToUnit(size_t i, double value) const {
  const ParamSpec& p = params_[i];
  if (p.kind == ParamKind::kCategorical) {
    return (value + 0.5) / static_cast<double>(cardinality_[i]);
  }
  const double t = p.log ? std::log(value) : value;
  const double width = unit_hi_[i] - unit_lo_[i];
  if (width <= 0) return 0.5;
  return std::clamp((t - unit_lo_[i]) / width, 0.0, 1.0);
}

double SearchSpace::FromUnit(size_t i, double u) const {
  const ParamSpec& p = params_[i];
  u = std::clamp(u, 0.0, 1.0);
  if (p.kind == ParamKind::kCategorical) {
    const auto n = static_cast<double>(cardinality_[i]);
    return std::min(std::floor(u * n), n - 1);
  }
  const double t = unit_lo_[i] + u * (unit_hi_[i] - unit_lo_[i]);
  double v = p.log ? std::exp(t) : t;
  if (p.step > 0) {
    const double k =
        std::clamp(std::round((v - p.low) / p.step), 0.0, static_cast<double>(cardinality_[i] - 1));
    return DiscreteValue(i, static_cast<size_t>(k));
  }
  return std::clamp(v, p.low, p.high);
}

double SearchSpace::DiscreteValue(size_t i, size_t k) const {
  const ParamSpec& p = params_[i];
  if (p.kind == ParamKind::kCategorical) return static_cast<double>(k);
  const double v = p.low + static_cast<double>(k) * p.step;
  return p.kind == ParamKind::kInt ? std::round(v) : v;
}

bool SearchSpace::IsActive(size_t i, const Assignment& a) const {
  const int par = parents_[i];
  if (par < 0) return true;
  const double pv = a[static_cast<size_t>(par)];
  if (std::isnan(pv)) return false;
  const auto& choice = params_[static_cast<size_t>(par)].choices[static_cast<size_t>(pv)];
  const auto& values = params_[i].condition->values;
  return std::find(values.begin(), values.end(), choice) != values.end();
}

void SearchSpace::MaskInactive(Assignment& a) const {
  if (!has_conditions_) return;
  for (size_t i = 0; i < params_.size(); ++i)
    if (!IsActive(i, a)) a[i] = std::nan("");
}

Status SearchSpace::Validate(const Assignment& a) const {
  if (a.size() != params_.size())
    return InvalidArgument("params", "assignment has " + std::to_string(a.size()) + " values for " +
                                         std::to_string(params_.size()) + " parameters");
  for (size_t i = 0; i < params_.size(); ++i) {
    const bool active = IsActive(i, a);
    const std::string field = "params." + params_[i].name;
    if (!active) {
      if (!std::isnan(a[i])) return InvalidArgument(field, "parameter is inactive here");
      continue;
    }
    if (std::isnan(a[i])) return InvalidArgument(field, "parameter is active but has no value");
    const ParamSpec& p = params_[i];
    if (p.kind == ParamKind::kCategorical) {
      if (a[i] != std::floor(a[i]) || a[i] < 0 || a[i] >= static_cast<double>(cardinality_[i]))
        return InvalidArgument(field, "not a valid choice index");
      continue;
    }
    if (a[i] < p.low || a[i] > p.high) return InvalidArgument(field, "value out of bounds");
    if (p.step > 0) {
      const double k = (a[i] - p.low) / p.step;
      if (std::abs(k - std::round(k)) > 1e-6)
        return InvalidArgument(field, "value is off the step grid");
    }
  }
  return Status::Ok();
}

json SearchSpace::ToJson() const {
  json params = json::array();
  for (const auto& p : params_) {
    json j = {{"name", p.name}, {"type", ParamKindName(p.kind)}};
    if (p.kind == ParamKind::kCategorical) {
      j["choices"] = p.choices;
    } else {
      j["low"] = p.low;
      j["high"] = p.high;
      if (p.log) j["log"] = true;
      if (p.step > 0) j["step"] = p.step;
    }
    if (p.condition)
      j["condition"] = {{"parent", p.condition->parent}, {"values", p.condition->values}};
    params.push_back(std::move(j));
  }
  return {{"params", std::move(params)}};
}

namespace {

Result<double> NumberField(const json& j, const char* key, const std::string& field,
                           double fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_number()) return InvalidArgument(field, std::string(key) + " must be a number");
  return it->get<double>();
}

std::string ChoiceString(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

Result<SearchSpace> SearchSpace::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("params") || !j["params"].is_array())
    return InvalidArgument("params", "search space must be an object with a 'params' array");
  std::vector<ParamSpec> specs;
  const json& arr = j["params"];
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& pj = arr[i];
    if (!pj.is_object())
      return InvalidArgument("params[" + std::to_string(i) + "]", "must be an object");
    static const std::set<std::string> kKeys = {"name", "type", "low",     "high",
                                                "log",  "step", "choices", "condition"};
    for (auto it = pj.begin(); it != pj.end(); ++it)
      if (!kKeys.count(it.key()))
        return InvalidArgument(Field(i, it.key().c_str()), "unknown field");
    ParamSpec p;
    if (!pj.contains("name") || !pj["name"].is_string())
      return InvalidArgument(Field(i, "name"), "name must be a string");
    p.name = pj["name"].get<std::string>();
    if (pj.contains("type") && !pj["type"].is_string())
      return InvalidArgument(Field(i, "type"), "type must be a string");
    const std::string type = pj.value("type", std::string("float"));
    if (type == "float" || type == "double")
      p.kind = ParamKind::kFloat;
    else if (type == "int")
      p.kind = ParamKind::kInt;
    else if (type == "categorical")
      p.kind = ParamKind::kCategorical;
    else
      return InvalidArgument(Field(i, "type"), "unknown type '" + type + "'");
    if (p.kind == ParamKind::kCategorical) {
      if (!pj.contains("choices") || !pj["choices"].is_array())
        return InvalidArgument(Field(i, "choices"), "choices must be an array");
      for (const auto& c : pj["choices"]) p.choices.push_back(ChoiceString(c));
    } else {
      if (!pj.contains("low")) return InvalidArgument(Field(i, "low"), "low is required");
      if (!pj.contains("high")) return InvalidArgument(Field(i, "high"), "high is required");
      CORRAL_ASSIGN_OR_RETURN(p.low, NumberField(pj, "low", Field(i, "low"), 0));
      CORRAL_ASSIGN_OR_RETURN(p.high, NumberField(pj, "high", Field(i, "high"), 0));
      CORRAL_ASSIGN_OR_RETURN(p.step, NumberField(pj, "step", Field(i, "step"), 0));
      if (pj.contains("log")) {
        if (!pj["log"].is_boolean())
          return InvalidArgument(Field(i, "log"), "log must be a boolean");
        p.log = pj["log"].get<bool>();
      }
    }
    if (pj.contains("condition")) {
      const json& cj = pj["condition"];
      if (!cj.is_object() || !cj.contains("parent") || !cj["parent"].is_string())
        return InvalidArgument(Field(i, "condition.parent"), "condition needs a parent name");
      if (!cj.contains("values") || !cj["values"].is_array())
        return InvalidArgument(Field(i, "condition.values"), "condition needs a values array");
      ParamCondition c;
      c.parent = cj["parent"].get<std::string>();
      for (const auto& v : cj["values"]) c.values.push_back(ChoiceString(v));
      p.condition = std::move(c);
    }
    specs.push_back(std::move(p));
  }
  return Create(std::move(specs));
}

json SearchSpace::ValueToJson(size_t i, double value) const {
  if (std::isnan(value)) return nullptr;
  const ParamSpec& p = params_[i];
  switch (p.kind) {
    case ParamKind::kCategorical:
      return p.choices[static_cast<size_t>(value)];
    case ParamKind::kInt:
      return static_cast<int64_t>(value);
    case ParamKind::kFloat:
      return value;
  }
  return nullptr;
}

Result<double> SearchSpace::ValueFromJson(size_t i, const json& j) const {
  const ParamSpec& p = params_[i];
  const std::string field = "params." + p.name;
  if (j.is_null()) return std::nan("");
  if (p.kind == ParamKind::kCategorical) {
    const std::string s = ChoiceString(j);
    auto it = std::find(p.choices.begin(), p.choices.end(), s);
    if (it == p.choices.end()) return InvalidArgument(field, "'" + s + "' is not a choice");
    return static_cast<double>(it - p.choices.begin());
  }
  if (!j.is_number()) return InvalidArgument(field, "value must be a number");
  return j.get<double>();
}

}  // namespace corral::tune
