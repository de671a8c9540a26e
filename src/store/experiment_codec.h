#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "model/experiment.h"

// JSON encoding of trial parameters for the trials.params column. Private to store/.
namespace corral::store {

// Types survive the round trip: true, 3, 3.0 and "3" decode as bool, int64, double and string.
// A non-finite double is written as null and reads back as NaN.
std::string EncodeParams(const ParamSet& params);
Result<ParamSet> DecodeParams(std::string_view json);

}  // namespace corral::store
