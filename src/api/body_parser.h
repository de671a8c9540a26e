#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

#include "common/result.h"

namespace corral::api {

// Bounds on what one request body may become. YAML aliases let a few hundred bytes name billions
// of nodes, so the bounds apply to the tree as it is built, not to the text.
struct BodyLimits {
  size_t max_bytes = 1 << 20;
  int max_depth = 64;         // nested objects and arrays
  size_t max_nodes = 100000;  // values in the tree, aliases counted as what they expand to
  size_t max_aliases = 1000;  // YAML `*name` references
};

// Parses a request body as JSON, or as YAML when the content type says so. Never throws. Every
// failure is invalid_argument naming where it happened ("resources.gpus", "body"): malformed text,
// a number a double cannot hold, a string or key that is not UTF-8, or a tree beyond `limits`.
Result<nlohmann::json> ParseBody(const std::string& body, const std::string& content_type,
                                 const BodyLimits& limits = {});

}  // namespace corral::api
