#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/node_view.h"

namespace corral::cli {

int NodesCommand(CommandContext& ctx) {
  auto reply = ctx.api.GetJson("/nodes");
  if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
  switch (ctx.format) {
    case OutputFormat::kJson:
      PrintJson(ctx.out, *reply);
      break;
    case OutputFormat::kYaml:
      ctx.out << JsonToYaml(*reply);
      break;
    default:
      RenderNodeTable(*reply, ctx.out);
      break;
  }
  return kExitOk;
}

}  // namespace corral::cli
