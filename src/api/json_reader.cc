#include "api/json_reader.h"

#include <cmath>
#include <set>

namespace corral::api {

const char* JsonTypeName(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer";
    case nlohmann::json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

Status JsonObjectReader::Check(std::initializer_list<const char*> known) const {
  if (!object_.is_object())
    return InvalidArgument(path_.empty() ? "body" : path_,
                           std::string("must be an object, got ") + JsonTypeName(object_));
  std::set<std::string> k(known.begin(), known.end());
  for (auto& [key, value] : object_.items()) {
    if (!k.count(key)) return InvalidArgument(PathOf(key), "unknown field");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> JsonObjectReader::String(const std::string& key) const {
  if (!Has(key)) return std::optional<std::string>();
  auto& v = object_.at(key);
  if (!v.is_string())
    return InvalidArgument(PathOf(key), std::string("must be a string, got ") + JsonTypeName(v));
  return std::optional<std::string>(v.get<std::string>());
}

Result<std::optional<int64_t>> JsonObjectReader::Int(const std::string& key, int64_t min,
                                                     int64_t max) const {
  if (!Has(key)) return std::optional<int64_t>();
  auto& v = object_.at(key);
  int64_t out = 0;
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      return InvalidArgument(PathOf(key), "must be at most " + std::to_string(max));
    out = v.get<int64_t>();
  } else if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
             std::fabs(v.get<double>()) < 9e15) {
    out = static_cast<int64_t>(v.get<double>());
  } else {
    return InvalidArgument(PathOf(key), std::string("must be an integer, got ") + JsonTypeName(v));
  }
  if (out < min) return InvalidArgument(PathOf(key), "must be at least " + std::to_string(min));
  if (out > max) return InvalidArgument(PathOf(key), "must be at most " + std::to_string(max));
  return std::optional<int64_t>(out);
}

Result<std::optional<double>> JsonObjectReader::Number(const std::string& key, double min,
                                                       double max) const {
  if (!Has(key)) return std::optional<double>();
  auto& v = object_.at(key);
  if (!v.is_number())
    return InvalidArgument(PathOf(key), std::string("must be a number, got ") + JsonTypeName(v));
  double d = v.get<double>();
  if (!std::isfinite(d) || d < min || d > max)
    return InvalidArgument(
        PathOf(key), "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return std::optional<double>(d);
}

Result<std::optional<bool>> JsonObjectReader::Bool(const std::string& key) const {
  if (!Has(key)) return std::optional<bool>();
  auto& v = object_.at(key);
  if (!v.is_boolean())
    return InvalidArgument(PathOf(key), std::string("must be a boolean, got ") + JsonTypeName(v));
  return std::optional<bool>(v.get<bool>());
}

}  // namespace corral::api
