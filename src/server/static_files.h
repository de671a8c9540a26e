#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "api/http_types.h"
#include "common/result.h"

namespace corral::server {

struct StaticFilesOptions {
  // Files larger than this are streamed in chunks of chunk_bytes instead of read whole.
  size_t stream_above_bytes = 256 * 1024;
  size_t chunk_bytes = 64 * 1024;
};

// Serves the web UI's built files from one directory: GET and HEAD only; ETag / If-None-Match;
// long-lived caching for assets/ (their names carry a content hash) and revalidation for the
// rest; a pre-compressed `.gz` sibling when the client takes gzip; index.html for any unknown path
// without an extension, so the UI's own router sees deep links. Nothing outside the directory is
// reachable: `..` and NUL are refused, and every file's real path (after symlinks) must lie
// inside the directory. No directory listings. Thread-safe (it holds no mutable state).
class StaticFiles {
 public:
  // kInvalidArgument when `root` is not a readable directory.
  static Result<std::unique_ptr<StaticFiles>> Open(const std::string& root,
                                                   StaticFilesOptions options = {});

  // Whether `path` is the UI's, i.e. none of /api/, /healthz, /metrics, /nb/.
  static bool Serves(std::string_view path);

  api::HttpResponse Handle(const api::HttpRequest& request) const;

  const std::string& root() const { return root_; }

 private:
  StaticFiles(std::string root, StaticFilesOptions options)
      : root_(std::move(root)), options_(options) {}

  std::string root_;  // a real path, without a trailing '/'
  StaticFilesOptions options_;
};

// Where the UI is installed by default: share/corral/ui beside the binary (or in the prefix above
// its bin/); "" when there is none.
std::string DefaultUiDir();

}  // namespace corral::server
