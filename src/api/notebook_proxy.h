#pragma once

#include <string>

#include "api/authenticator.h"
#include "api/http_types.h"
#include "notebook/notebook_directory.h"

namespace corral::api {

// /nb/<id>/...: every request to a notebook's Jupyter server, HTTP and WebSocket alike, goes
// through here. The caller proves who they are with an API token (Bearer) or a browser session
// cookie; only the notebook's owner gets through (anyone else, admins included, sees a 404). The
// proxy adds the Jupyter server's own token and strips the caller's Corral credentials, so users
// never handle the Jupyter token and Jupyter never sees theirs.
class NotebookProxy {
 public:
  NotebookProxy(Authenticator& auth, const notebook::NotebookDirectory& directory)
      : auth_(auth), directory_(directory) {}

  static bool Serves(const std::string& path) { return path.rfind("/nb/", 0) == 0; }
  HttpResponse Handle(const HttpRequest& request);

 private:
  Authenticator& auth_;
  const notebook::NotebookDirectory& directory_;
};

// The Cookie header without Corral's session cookie ("" when nothing else is left).
std::string CookiesForUpstream(const std::string& cookie_header);

}  // namespace corral::api
