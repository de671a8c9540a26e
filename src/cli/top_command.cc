#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/top_view.h"

namespace corral::cli {
namespace {

// One frame. The utilisation comes from /metrics when the caller may read it.
Result<std::string> Frame(CommandContext& ctx) {
  TopInput input;
  auto nodes = ctx.api.GetJson("/nodes");
  if (!nodes.ok()) return nodes.status();
  auto queues = ctx.api.GetJson("/queues");
  if (!queues.ok()) return queues.status();
  auto running = ctx.api.GetJson("/jobs?state=starting,running&limit=20");
  if (!running.ok()) return running.status();
  input.nodes = std::move(*nodes);
  input.queues = std::move(*queues);
  input.running = std::move(*running);
  if (auto metrics = ctx.api.GetMetricsText(); metrics.ok()) {
    input.utilization = ParseGpuUtilization(*metrics);
    input.utilization_known = true;
  }
  std::ostringstream out;
  RenderTop(input, ctx.clock.Now(), out);
  return out.str();
}

}  // namespace

int TopCommand(CommandContext& ctx, const TopOptions& options) {
  // Redraws in place on a terminal; otherwise (a pipe, a file) prints one frame and ends.
  const bool refresh = !options.once && ::isatty(STDOUT_FILENO);
  for (;;) {
    auto frame = Frame(ctx);
    if (!frame.ok()) return ReportFailure(frame.status(), ctx.api.connection(), ctx.err);
    if (refresh) ctx.out << "\x1b[H\x1b[2J";
    ctx.out << *frame << std::flush;
    if (!refresh) return kExitOk;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(static_cast<int64_t>(options.interval_s * 1000)));
  }
}

}  // namespace corral::cli
