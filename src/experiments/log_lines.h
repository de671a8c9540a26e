#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exec/executor.h"

namespace corral::experiments {

// Complete lines of `source` after `offset` (and the unfinished last one when `final`); advances
// `offset` past them. A source shorter than `offset` was rewritten: it is read from the start.
std::vector<std::string> ReadNewLines(exec::LogSource& source, int64_t& offset, bool final);

}  // namespace corral::experiments
