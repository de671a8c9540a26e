#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "metrics/exposition.h"

namespace corral::metrics::testing {

// The value of the one sample of family `name` whose labels include all of `labels`.
inline std::optional<double> ValueOf(const std::vector<Family>& families, const std::string& name,
                                     const Labels& labels = {}) {
  std::optional<double> found;
  for (const auto& f : families) {
    if (f.name != name) continue;
    for (const auto& s : f.samples) {
      bool match = true;
      for (const auto& want : labels) {
        bool has = false;
        for (const auto& l : s.labels) has = has || l == want;
        match = match && has;
      }
      if (!match) continue;
      EXPECT_FALSE(found) << "more than one sample of " << name << " matches";
      found = s.value;
    }
  }
  return found;
}

}  // namespace corral::metrics::testing
