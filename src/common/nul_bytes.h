#pragma once

#include <string>

#include "common/status.h"

namespace corral {

// Refuses a NUL byte in any string or key of a parsed document (nlohmann::json or alike): it
// would cut a command, a file name or a node name short wherever it ends up. The error names the
// path of the first one found, below `path` ("" for the root).
template <class Json>
Status RefuseNulBytes(const Json& j, const std::string& path) {
  auto has_nul = [](const std::string& s) { return s.find('\0') != std::string::npos; };
  if (j.is_string()) {
    if (has_nul(j.template get_ref<const std::string&>()))
      return InvalidArgument(path, "must not contain NUL bytes");
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string child = path.empty() ? it.key() : path + "." + it.key();
      if (has_nul(it.key())) return InvalidArgument(child, "a key must not contain NUL bytes");
      CORRAL_RETURN_IF_ERROR(RefuseNulBytes(it.value(), child));
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i)
      CORRAL_RETURN_IF_ERROR(RefuseNulBytes(j[i], path + "[" + std::to_string(i) + "]"));
  }
  return Status::Ok();
}

}  // namespace corral
