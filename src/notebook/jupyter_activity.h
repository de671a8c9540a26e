#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace corral::notebook {

// What a Jupyter server says about its own use: GET <base>/api/status and
// GET <base>/api/kernels?no_track_activity=1 (neither counts as activity).
struct KernelActivity {
  std::string execution_state;  // "idle", "busy", "starting", ...
  int connections = 0;
  std::optional<TimePoint> last_activity;
};

struct JupyterActivity {
  std::optional<TimePoint> last_activity;  // the server's, which kernel messages also move
  int connections = 0;                     // open kernel WebSockets, all kernels together
  std::vector<KernelActivity> kernels;
};

// Parses the two bodies; `kernels_body` may be empty (not asked). Fields Jupyter leaves out are
// left unset; a body that is not the expected JSON shape is kInvalidArgument.
Result<JupyterActivity> ParseJupyterActivity(std::string_view status_body,
                                             std::string_view kernels_body);

// Jupyter's "2026-12-03T08:12:56.691769Z" (microseconds, optional fraction, Z or +00:00).
std::optional<TimePoint> ParseJupyterTime(std::string_view text);

struct CullDecision {
  bool cull = false;
  std::string reason;  // why (when culled) or what keeps it (when not)
};

// The idle-culling rule: a notebook is culled when nothing has happened for `timeout` (the
// latest of the server's and its kernels' last activity, and `ready_at`), no kernel is busy or
// starting, and nothing is connected. A busy kernel is never culled, however long it runs.
CullDecision DecideCull(const JupyterActivity& activity, TimePoint ready_at, TimePoint now,
                        Duration timeout);

}  // namespace corral::notebook
