#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/ids.h"

namespace corral {

using NotebookId = Id<struct NotebookIdTag>;

// A Jupyter server on demand: one long-running interactive job that the notebook controller
// starts, watches for readiness and idleness, and stops. `state` is one of notebook/'s k* names.
struct Notebook {
  NotebookId id;
  UserId owner;
  std::string owner_name;
  std::string name;
  std::string state;
  std::string message;  // why it is still starting, or why it ended
  int gpus = 0;
  std::string environment;  // a named environment (admins register their prefixes); "" = none
  Duration idle_timeout{0};
  JobId job;
  // Loopback ports of the current attempt's Jupyter server and sshd, chosen at launch.
  int attempt = 0;
  int port = 0;
  int ssh_port = 0;
  TimePoint created_at;
  std::optional<TimePoint> ready_at;
  std::optional<TimePoint> ended_at;
};

// A public key a user registered for SSH into their notebooks.
struct SshKey {
  int64_t id = 0;
  UserId user;
  std::string key;  // one authorized_keys line: "<type> <base64> [comment]"
  TimePoint created_at;
};

}  // namespace corral
