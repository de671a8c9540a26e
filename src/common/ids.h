#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace corral {

// A typed integer id, so a JobId cannot be passed where a UserId is expected.
template <class Tag>
struct Id {
  int64_t value = 0;
  constexpr Id() = default;
  constexpr explicit Id(int64_t v) : value(v) {}
  constexpr bool valid() const { return value > 0; }
  friend constexpr auto operator<=>(Id, Id) = default;
};

using JobId = Id<struct JobIdTag>;
using UserId = Id<struct UserIdTag>;
using ExperimentId = Id<struct ExperimentIdTag>;

}  // namespace corral

template <class Tag>
struct std::hash<corral::Id<Tag>> {
  size_t operator()(corral::Id<Tag> id) const noexcept { return std::hash<int64_t>{}(id.value); }
};
