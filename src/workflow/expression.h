#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace corral::workflow {

// Looks a variable up by its dotted name ("inputs.parameters.x"); nullopt when unknown.
using VariableLookup = std::function<std::optional<std::string>(const std::string&)>;

enum class Dialect {
  // `when` conditions: govaluate after {{...}} substitution. A bare word is a string literal
  // (`heads == heads`), `=~` matches a regular expression, numbers compare as numbers.
  kGovaluate,
  // `{{= ... }}`: expr-lang. Bare names are variables; helper functions asInt, asFloat, jsonpath,
  // toJson, string, int, float, len and sprig.* (the ones workflows use).
  kExpr,
};

// Evaluates one expression. Variables' values are strings; a value that reads as JSON is used
// as such where a structure is needed (jsonpath, member access, `in`).
Result<nlohmann::json> Evaluate(std::string_view text, Dialect dialect,
                                const VariableLookup& lookup);

// Checks that `text` parses (variables are not looked up). For validation at submit.
Status CheckSyntax(std::string_view text, Dialect dialect);

// Truth of a value as a condition: true, "true", non-zero numbers.
bool Truthy(const nlohmann::json& v);

// How a value is inserted into text: strings as they are, everything else as JSON.
std::string ToText(const nlohmann::json& v);

// A small JSONPath ($, .key, ['key'], [n], [a:b], [*], [?(@.f op value && ...)]) over `doc`.
// A path that selects one element by index or key gives that element; others give a list.
Result<nlohmann::json> JsonPath(const nlohmann::json& doc, std::string_view path);

}  // namespace corral::workflow
