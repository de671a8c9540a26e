#include <cstdio>
#include <fstream>
#include <iterator>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"

namespace corral::cli {
namespace {

std::string Limit(const nlohmann::json& q) {
  int max = q.value("max_gpus", -1);
  return max < 0 ? "-" : std::to_string(max);
}

}  // namespace

int QueuesCommand(CommandContext& ctx, const std::string& set_file) {
  Result<nlohmann::json> reply = Status(StatusCode::kInternal, "unset");
  if (!set_file.empty()) {
    std::ifstream in(set_file);
    if (!in) {
      ctx.err << "corral: cannot read " << set_file << "\n";
      return kExitUsage;
    }
    std::string body((std::istreambuf_iterator<char>(in)), {});
    bool json = set_file.size() > 5 && set_file.compare(set_file.size() - 5, 5, ".json") == 0;
    reply = ctx.api.PutRaw("/queues", body, json ? "application/json" : "application/yaml");
  } else {
    reply = ctx.api.GetJson("/queues");
  }
  if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
  switch (ctx.format) {
    case OutputFormat::kJson:
      PrintJson(ctx.out, *reply);
      return kExitOk;
    case OutputFormat::kYaml:
      ctx.out << JsonToYaml(*reply);
      return kExitOk;
    default:
      break;
  }
  Table table({"QUEUE", "GUARANTEED", "MAX", "WEIGHT", "IN USE", "BORROWED", "RUNNING", "PENDING"});
  for (const auto& q : (*reply)["queues"]) {
    char weight[32];
    snprintf(weight, sizeof weight, "%g", q.value("weight", 1.0));
    std::string name = q.value("name", "");
    if (!q.value("configured", false)) name += " (default settings)";
    table.AddRow(
        {name, std::to_string(q.value("guaranteed_gpus", 0)), Limit(q), weight,
         std::to_string(q.value("gpus_in_use", 0)), std::to_string(q.value("borrowed_gpus", 0)),
         std::to_string(q.value("running_jobs", 0)), std::to_string(q.value("pending_jobs", 0))});
  }
  table.Render(ctx.out);
  return kExitOk;
}

}  // namespace corral::cli
