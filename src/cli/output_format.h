#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <string_view>

#include "common/result.h"

namespace corral::cli {

// What `-o` asked for. kDefault is the human-readable form of each command.
enum class OutputFormat { kDefault, kJson, kYaml, kWide };

// Parses the value of `-o` ("", "json", "yaml", "wide"); unknown names are an error naming the
// accepted ones.
Result<OutputFormat> ParseOutputFormat(std::string_view name);

// Pretty JSON, two-space indent, newline-terminated.
void PrintJson(std::ostream& out, const nlohmann::json& value);

// The same document as block YAML (keys in the JSON's order, strings quoted where YAML would
// otherwise read them as another type).
std::string JsonToYaml(const nlohmann::json& value);

}  // namespace corral::cli
