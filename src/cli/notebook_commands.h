#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace corral::cli {

struct NotebookStartOptions {
  std::string name;
  int gpus = 0;
  std::string environment;
  std::optional<double> idle_timeout_s;
  bool wait = true;
  int wait_s = 300;  // give up waiting for readiness after this long (the notebook stays)
};
// Shows the free GPUs, asks for a notebook, and waits (told the moment it is ready, never
// polling on a timer) while printing why it is still pending; prints the URL.
int NotebookStartCommand(CommandContext& ctx, const NotebookStartOptions& options);
int NotebookListCommand(CommandContext& ctx, bool all, bool ended);
int NotebookOpenCommand(CommandContext& ctx, const std::string& name_or_id);
int NotebookStopCommand(CommandContext& ctx, const std::string& name_or_id);

int SshKeyAddCommand(CommandContext& ctx, const std::string& file);
int SshKeyListCommand(CommandContext& ctx);
int SshKeyRemoveCommand(CommandContext& ctx, const std::string& id);

// Runs the real `ssh` into a notebook, through `corral ssh-proxy` as its ProxyCommand.
// `self` is this program's path; `ssh_args` go to ssh before the (optional) remote command.
int SshCommand(CommandContext& ctx, const std::string& self, const std::string& name_or_id,
               const std::vector<std::string>& ssh_args);
// Host blocks for ~/.ssh/config (VS Code Remote-SSH): one per active notebook.
int SshConfigCommand(CommandContext& ctx, const std::string& self);
// Bridges stdin/stdout to the notebook's SSH tunnel (GET /notebooks/<id>/ssh as a WebSocket).
int SshProxyCommand(CommandContext& ctx, const std::string& name_or_id);

// This program's absolute path (for ProxyCommand lines), `argv0` when it cannot be read.
std::string SelfPath(const char* argv0);
// The notebook JSON for a name or id among the caller's active notebooks (names win).
Result<nlohmann::json> FindNotebook(ApiClient& api, const std::string& name_or_id);
// Streams stdin to a WebSocket at `url` + `path` and its binary messages to stdout until either
// side ends (cli/websocket_bridge.cc, the only CLI file that knows Boost.Beast).
Status BridgeStdioToWebSocket(const std::string& url, const std::string& path,
                              const std::string& token);

}  // namespace corral::cli
