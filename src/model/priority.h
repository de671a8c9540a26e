#pragma once

#include <optional>
#include <string_view>

namespace corral {

// Ordered: a higher value is scheduled first and preempted last.
enum class PriorityClass { kOpportunistic = 0, kNormal = 1, kHigh = 2, kInteractive = 3 };

std::string_view PriorityClassName(PriorityClass p);
std::optional<PriorityClass> ParsePriorityClass(std::string_view name);

}  // namespace corral
