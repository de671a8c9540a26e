#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>

#include "api/body_parser.h"
#include "common/result.h"

namespace corral::api {

// Reads fields out of a JSON object strictly: wrong types and unknown fields are errors naming the
// field's path, never silent defaults.
class JsonObjectReader {
 public:
  JsonObjectReader(const nlohmann::json& object, std::string path)
      : object_(object), path_(std::move(path)) {}

  // Fails unless the value is an object with no keys outside `known`.
  Status Check(std::initializer_list<const char*> known) const;

  std::string PathOf(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  bool Has(const std::string& key) const {
    return object_.contains(key) && !object_.at(key).is_null();
  }
  const nlohmann::json& At(const std::string& key) const { return object_.at(key); }

  Result<std::optional<std::string>> String(const std::string& key) const;
  Result<std::optional<int64_t>> Int(const std::string& key, int64_t min, int64_t max) const;
  Result<std::optional<double>> Number(const std::string& key, double min, double max) const;
  Result<std::optional<bool>> Bool(const std::string& key) const;

 private:
  const nlohmann::json& object_;
  std::string path_;
};

const char* JsonTypeName(const nlohmann::json& v);

}  // namespace corral::api
