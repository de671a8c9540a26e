#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace corral::experiments {

// Strict reading of one JSON object of a spec: every key must be known, ignored (with a warning)
// or it is an error naming its path; wrong types are errors, never silent defaults.
class SpecObject {
 public:
  SpecObject(const nlohmann::json& object, std::string path) : object_(object), path_(path) {}

  // `known` keys are read by the caller; `ignored` keys are accepted and reported in `warnings`
  // with `why`. Anything else is an InvalidArgument at its path.
  Status Check(const std::set<std::string>& known, const std::set<std::string>& ignored,
               const std::string& why, std::vector<std::string>& warnings) const;

  std::string PathOf(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  const std::string& path() const { return path_; }
  bool Has(const std::string& key) const {
    return object_.contains(key) && !object_.at(key).is_null();
  }
  const nlohmann::json& At(const std::string& key) const { return object_.at(key); }

  Result<std::optional<std::string>> String(const std::string& key) const;
  // Accepts a JSON string holding a number too (Katib keeps numbers as strings).
  Result<std::optional<int64_t>> Int(const std::string& key, int64_t min, int64_t max) const;
  Result<std::optional<double>> Number(const std::string& key) const;
  Result<std::optional<bool>> Bool(const std::string& key) const;
  Result<std::vector<std::string>> StringList(const std::string& key) const;
  // A JSON scalar as Katib writes it: strings as they are, numbers and booleans spelled out.
  static std::optional<std::string> ScalarText(const nlohmann::json& v);

 private:
  const nlohmann::json& object_;
  std::string path_;
};

struct ExperimentSpec;
struct MetricsFileSpec;
// parallelTrialCount, maxTrialCount and maxFailedTrialCount, shared by the native and Katib forms
// (parallelism defaults to at most maxTrialCount).
Status ReadTrialCounts(const SpecObject& o, ExperimentSpec& spec);
// `path` and `format` of a metrics file (the caller checks which other members may be there).
Result<MetricsFileSpec> ReadMetricsFile(const SpecObject& o);

// Fails unless `v` is an object.
Status RequireObject(const nlohmann::json& v, const std::string& path);

}  // namespace corral::experiments
