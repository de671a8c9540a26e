#pragma once

#include "api/http_types.h"
#include "common/status.h"

namespace corral::api {

// The one place where expected failures become HTTP statuses.
int HttpStatusFor(StatusCode code);
// {"error": {"code", "message", "details": {"field"}}} with the matching status.
HttpResponse ErrorResponse(const Status& status);

}  // namespace corral::api
