#pragma once

#include <string>

namespace corral::notebook {

// The shell script a notebook's job runs (as the user's account, like any job). It starts a
// per-notebook sshd when keys and a port are given, then execs the Jupyter server. Everything
// variable comes from the launch environment, never from the script, so that the stored spec
// holds no secret:
//   CORRAL_NB_ID, CORRAL_NB_PORT, CORRAL_NB_SSH_PORT, CORRAL_NB_KEYS (authorized_keys lines),
//   JUPYTER_TOKEN (the server's own token, which the proxy adds to every request).
// `app` is "notebook" (the classic notebook UI and API) or "server" (jupyter-server, API only).
std::string LaunchScript(const std::string& app);

}  // namespace corral::notebook
