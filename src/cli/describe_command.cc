#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_view.h"

namespace corral::cli {

int DescribeCommand(CommandContext& ctx, const std::string& job_id) {
  auto job = ctx.api.GetJson("/jobs/" + PercentEncode(job_id));
  if (!job.ok()) return ReportFailure(job.status(), ctx.api.connection(), ctx.err);
  switch (ctx.format) {
    case OutputFormat::kJson:
      PrintJson(ctx.out, *job);
      break;
    case OutputFormat::kYaml:
      ctx.out << JsonToYaml(*job);
      break;
    default:
      RenderJobDescription(*job, ctx.clock.Now(), ctx.out);
      break;
  }
  return kExitOk;
}

}  // namespace corral::cli
