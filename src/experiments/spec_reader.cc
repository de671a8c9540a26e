#include "experiments/spec_reader.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace corral::experiments {

using nlohmann::json;

Status RequireObject(const json& v, const std::string& path) {
  if (!v.is_object()) return InvalidArgument(path, "must be an object");
  return Status::Ok();
}

Status SpecObject::Check(const std::set<std::string>& known, const std::set<std::string>& ignored,
                         const std::string& why, std::vector<std::string>& warnings) const {
  CORRAL_RETURN_IF_ERROR(RequireObject(object_, path_.empty() ? "spec" : path_));
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (known.count(it.key())) continue;
    if (ignored.count(it.key())) {
      warnings.push_back(PathOf(it.key()) + ": ignored (" + why + ")");
      continue;
    }
    return InvalidArgument(PathOf(it.key()), "unknown field");
  }
  return Status::Ok();
}

std::optional<std::string> SpecObject::ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return fmt::format("{}", v.get<double>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return std::nullopt;
}

Result<std::optional<std::string>> SpecObject::String(const std::string& key) const {
  if (!Has(key)) return std::optional<std::string>();
  const json& v = At(key);
  if (!v.is_string()) return InvalidArgument(PathOf(key), "must be a string");
  return std::optional<std::string>(v.get<std::string>());
}

Result<std::optional<int64_t>> SpecObject::Int(const std::string& key, int64_t min,
                                               int64_t max) const {
  if (!Has(key)) return std::optional<int64_t>();
  const json& v = At(key);
  int64_t out = 0;
  if (v.is_number_integer()) {
    out = v.get<int64_t>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p != s.data() + s.size())
      return InvalidArgument(PathOf(key), "must be an integer");
  } else {
    return InvalidArgument(PathOf(key), "must be an integer");
  }
  if (out < min || out > max)
    return InvalidArgument(PathOf(key), fmt::format("must be between {} and {}", min, max));
  return std::optional<int64_t>(out);
}

Result<std::optional<double>> SpecObject::Number(const std::string& key) const {
  if (!Has(key)) return std::optional<double>();
  const json& v = At(key);
  double out = 0;
  if (v.is_number()) {
    out = v.get<double>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    if (s.empty() || !end || *end != '\0') return InvalidArgument(PathOf(key), "must be a number");
  } else {
    return InvalidArgument(PathOf(key), "must be a number");
  }
  if (!std::isfinite(out)) return InvalidArgument(PathOf(key), "must be finite");
  return std::optional<double>(out);
}

Result<std::optional<bool>> SpecObject::Bool(const std::string& key) const {
  if (!Has(key)) return std::optional<bool>();
  const json& v = At(key);
  if (!v.is_boolean()) return InvalidArgument(PathOf(key), "must be a boolean");
  return std::optional<bool>(v.get<bool>());
}

Result<std::vector<std::string>> SpecObject::StringList(const std::string& key) const {
  std::vector<std::string> out;
  if (!Has(key)) return out;
  const json& v = At(key);
  if (!v.is_array()) return InvalidArgument(PathOf(key), "must be a list of strings");
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string())
      return InvalidArgument(PathOf(key) + "[" + std::to_string(i) + "]", "must be a string");
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

}  // namespace corral::experiments
