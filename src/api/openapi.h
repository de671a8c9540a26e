#pragma once

#include <string>

namespace corral::api {
// The OpenAPI 3 document served at /api/v1/openapi.json.
const std::string& OpenApiDocument();
}  // namespace corral::api
