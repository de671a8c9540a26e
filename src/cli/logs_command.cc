#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/log_stream.h"

namespace corral::cli {

int LogsCommand(CommandContext& ctx, const LogsOptions& options) {
  const Connection& connection = ctx.api.connection();
  if (!options.follow) {
    auto text = ctx.api.GetText(JobLogsPath(options.job_id, options.replica, options.attempt,
                                            /*follow=*/false, options.tail));
    if (!text.ok()) return ReportFailure(text.status(), connection, ctx.err);
    ctx.out << *text;
    return kExitOk;
  }
  auto outcome = FollowJobLogs(ctx.api, options.job_id, options.replica, options.attempt, ctx.out,
                               options.tail);
  if (!outcome.ok()) return ReportFailure(outcome.status(), connection, ctx.err);
  if (!outcome->has_value()) {
    ctx.err << fmt::format("corral: the log stream of job {} closed before the job ended\n",
                           options.job_id);
    return kExitUnreachable;
  }
  // Following logs succeeded whatever the job's own result; `corral run --follow` is the command
  // that exits with the job's status.
  return kExitOk;
}

}  // namespace corral::cli
