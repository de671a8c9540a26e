#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_json.h"

namespace corral::cli {

int CancelCommand(CommandContext& ctx, const std::vector<std::string>& job_ids) {
  int exit_code = kExitOk;
  nlohmann::json cancelled = nlohmann::json::array();
  for (const auto& id : job_ids) {
    auto job = ctx.api.PostRaw("/jobs/" + PercentEncode(id) + "/cancel", "", "");
    if (!job.ok()) {
      Status status = job.status();
      // Name the job when the server's message does not, since several may be cancelled at once.
      if (status.code() == StatusCode::kFailedPrecondition &&
          status.message().find(id) == std::string::npos) {
        status = Status(status.code(), fmt::format("job {}: {}", id, status.message()));
      }
      int code = ReportFailure(status, ctx.api.connection(), ctx.err);
      if (exit_code == kExitOk) exit_code = code;
      // Nothing else will get through either.
      if (code == kExitUnreachable || code == kExitAuth) break;
      continue;
    }
    if (ctx.format == OutputFormat::kJson || ctx.format == OutputFormat::kYaml) {
      cancelled.push_back(*job);
      continue;
    }
    std::string state = TextField(*job, "state");
    if (state == "cancelled") {
      ctx.out << fmt::format("job {} cancelled\n", id);
    } else {
      ctx.out << fmt::format("job {} cancelling ({})\n", id, state.empty() ? "requested" : state);
    }
  }
  if (ctx.format == OutputFormat::kJson) PrintJson(ctx.out, {{"jobs", cancelled}});
  if (ctx.format == OutputFormat::kYaml) ctx.out << JsonToYaml({{"jobs", cancelled}});
  return exit_code;
}

}  // namespace corral::cli
