#include "cli/job_json.h"

#include "cli/time_format.h"

namespace corral::cli {

namespace {
const nlohmann::json& NullJson() {
  static const nlohmann::json kNull;
  return kNull;
}

const nlohmann::json* Find(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}
}  // namespace

std::string IdText(const nlohmann::json& id) {
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_integer()) return std::to_string(id.get<int64_t>());
  if (id.is_null()) return "";
  return id.dump();
}

std::string TextField(const nlohmann::json& object, std::string_view key,
                      std::string_view fallback) {
  const nlohmann::json* value = Find(object, key);
  if (value == nullptr) return std::string(fallback);
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number() || value->is_boolean()) return value->dump();
  return std::string(fallback);
}

std::optional<int64_t> IntField(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json* value = Find(object, key);
  if (value == nullptr || !value->is_number_integer()) return std::nullopt;
  return value->get<int64_t>();
}

std::optional<TimePoint> TimeField(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json* value = Find(object, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  auto parsed = ParseTimestamp(value->get<std::string>());
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

const nlohmann::json& Member(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json* value = Find(object, key);
  if (value == nullptr || !(value->is_object() || value->is_array())) return NullJson();
  return *value;
}

}  // namespace corral::cli
