#pragma once

#include <nlohmann/json_fwd.hpp>

#include "api/http_types.h"

namespace corral::api {

// A JSON answer; strings that are not valid UTF-8 are replaced rather than failing the dump.
HttpResponse JsonResponse(int status, const nlohmann::json& body);

}  // namespace corral::api
