#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace corral::cli {

// Tolerant readers for the objects the server returns: a missing or null field, or one of an
// unexpected type, reads as absent instead of throwing, so a newer server with extra or changed
// fields still gets a useful display.

// A string field, a number printed as text, or `fallback`.
std::string TextField(const nlohmann::json& object, std::string_view key,
                      std::string_view fallback = "");
std::optional<int64_t> IntField(const nlohmann::json& object, std::string_view key);
std::optional<TimePoint> TimeField(const nlohmann::json& object, std::string_view key);
// The member if it is an object or array; a null json otherwise.
const nlohmann::json& Member(const nlohmann::json& object, std::string_view key);

// An id as the user types it: 12, or "abc" for string ids.
std::string IdText(const nlohmann::json& id);

}  // namespace corral::cli
