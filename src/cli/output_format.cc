#include "cli/output_format.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

namespace corral::cli {

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name.empty()) return OutputFormat::kDefault;
  if (name == "json") return OutputFormat::kJson;
  if (name == "yaml") return OutputFormat::kYaml;
  if (name == "wide") return OutputFormat::kWide;
  return InvalidArgument("-o",
                         fmt::format("unknown output format \"{}\" (json, yaml, wide)", name));
}

void PrintJson(std::ostream& out, const nlohmann::json& value) {
  out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

namespace {

// yaml-cpp 0.7 writes "123" or "true" as plain scalars, which read back as a number or a
// boolean; such strings are quoted so the document keeps the JSON's types.
bool ReadsAsNonString(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return true;
  }
  YAML::Node node(text);
  bool as_bool;
  int64_t as_int;
  double as_double;
  return YAML::convert<bool>::decode(node, as_bool) ||
         YAML::convert<int64_t>::decode(node, as_int) ||
         YAML::convert<double>::decode(node, as_double);
}

void Emit(YAML::Emitter& emitter, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      emitter << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        emitter << YAML::Key << key << YAML::Value;
        Emit(emitter, item);
      }
      emitter << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      emitter << YAML::BeginSeq;
      for (const auto& item : value) Emit(emitter, item);
      emitter << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string:
      if (ReadsAsNonString(value.get<std::string>())) emitter << YAML::DoubleQuoted;
      emitter << value.get<std::string>();
      break;
    case nlohmann::json::value_t::null:
      emitter << YAML::Null;
      break;
    case nlohmann::json::value_t::boolean:
      emitter << value.get<bool>();
      break;
    case nlohmann::json::value_t::number_integer:
      emitter << value.get<int64_t>();
      break;
    case nlohmann::json::value_t::number_unsigned:
      emitter << value.get<uint64_t>();
      break;
    case nlohmann::json::value_t::number_float:
      emitter << value.get<double>();
      break;
    default:
      emitter << YAML::Null;
      break;
  }
}

}  // namespace

std::string JsonToYaml(const nlohmann::json& value) {
  YAML::Emitter emitter;
  Emit(emitter, value);
  std::string text = emitter.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

}  // namespace corral::cli
