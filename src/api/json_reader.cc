#include "api/json_reader.h"

#include <yaml-cpp/yaml.h>

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

namespace {

// YAML scalars carry no type: plain scalars that read as numbers or booleans become those, quoted
// ones stay strings.
Result<nlohmann::json> YamlToJson(const YAML::Node& node, const std::string& path) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nlohmann::json();
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return nlohmann::json(s);  // quoted
      if (s == "true" || s == "True" || s == "TRUE") return nlohmann::json(true);
      if (s == "false" || s == "False" || s == "FALSE") return nlohmann::json(false);
      if (s == "null" || s == "~") return nlohmann::json();
      char* end = nullptr;
      errno = 0;
      long long i = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && end && *end == '\0' && errno == 0) return nlohmann::json(i);
      end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == '\0' && std::isfinite(d)) return nlohmann::json(d);
      return nlohmann::json(s);
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json arr = nlohmann::json::array();
      size_t i = 0;
      for (const auto& item : node) {
        auto v = YamlToJson(item, path + "[" + std::to_string(i++) + "]");
        if (!v.ok()) return v.status();
        arr.push_back(std::move(*v));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      nlohmann::json obj = nlohmann::json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) return InvalidArgument(path, "mapping keys must be strings");
        std::string key = kv.first.Scalar();
        auto v = YamlToJson(kv.second, path.empty() ? key : path + "." + key);
        if (!v.ok()) return v.status();
        obj[key] = std::move(*v);
      }
      return obj;
    }
  }
  return nlohmann::json();
}

}  // namespace

Result<nlohmann::json> ParseBody(const std::string& body, const std::string& content_type) {
  bool yaml = content_type.find("yaml") != std::string::npos;
  if (yaml) {
    try {
      YAML::Node node = YAML::Load(body);
      return YamlToJson(node, "");
    } catch (const YAML::Exception& e) {
      return InvalidArgument("body", std::string("malformed YAML: ") + e.what());
    }
  }
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    try {
      auto unused = nlohmann::json::parse(body);
      (void)unused;
    } catch (const nlohmann::json::parse_error& e) {
      return InvalidArgument("body", std::string("malformed JSON: ") + e.what());
    }
    return InvalidArgument("body", "malformed JSON");
  }
  return parsed;
}

}  // namespace corral::api
