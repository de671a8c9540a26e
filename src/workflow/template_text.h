#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "common/result.h"
#include "workflow/expression.h"

namespace corral::workflow {

// Replaces `{{name}}` and `{{= expr }}` tags in `text`. A `{{name}}` the lookup does not know is
// left as it is (it may be resolved later, as Argo does for tags of a later scope); an
// expression that fails is an error. Expression results: strings as they are, others as JSON.
Result<std::string> Substitute(const std::string& text, const VariableLookup& lookup);

// The same over every string of a JSON tree (keys are left alone).
Result<nlohmann::json> SubstituteJson(const nlohmann::json& tree, const VariableLookup& lookup);

// Whether `text` still holds a `{{...}}` tag.
bool HasTag(const std::string& text);

// Checks every `{{= expr }}` in `text` parses. For validation at submit.
Status CheckTags(const std::string& text);

}  // namespace corral::workflow
