#pragma once

#include <string_view>

#include "api/http_types.h"
#include "common/status.h"

namespace corral::server {

// Splits an origin-form request target ("/path?k=v&...") into out.path and out.query, each
// percent-decoded ('+' is a space in the query only). Fails, naming `path` or the query key, when
// the target is not origin-form or a decoded part is not valid UTF-8 or holds a NUL byte: routes
// and the store rely on every decoded string being clean text.
Status ParseRequestTarget(std::string_view target, api::HttpRequest& out);

}  // namespace corral::server
