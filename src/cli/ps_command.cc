#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_view.h"

namespace corral::cli {

namespace {
// Jobs still in play; `ps` without -a lists these.
constexpr const char* kLiveStates = "pending,starting,running,preempted";
constexpr int kPageSize = 100;
}  // namespace

int PsCommand(CommandContext& ctx, const PsOptions& options) {
  QueryParams base;
  if (!options.states.empty()) {
    base.emplace_back("state", options.states);
  } else if (!options.all) {
    base.emplace_back("state", kLiveStates);
  }
  if (!options.user.empty()) base.emplace_back("owner", options.user);
  for (const auto& label : options.labels) base.emplace_back("label", label);

  std::vector<nlohmann::json> jobs;
  std::string cursor;
  std::set<std::string> seen_cursors;
  while (true) {
    QueryParams params = base;
    int page = kPageSize;
    if (options.limit > 0) page = std::min(page, options.limit - static_cast<int>(jobs.size()));
    params.emplace_back("limit", std::to_string(page));
    if (!cursor.empty()) params.emplace_back("cursor", cursor);
    auto reply = ctx.api.GetJson("/jobs" + BuildQuery(params));
    if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
    auto list = reply->find("jobs");
    if (list == reply->end() || !list->is_array()) {
      ctx.err << "corral: the server's job list has no \"jobs\" array\n";
      return kExitFailure;
    }
    for (auto& job : *list) jobs.push_back(std::move(job));
    if (options.limit > 0 && static_cast<int>(jobs.size()) >= options.limit) {
      jobs.resize(options.limit);
      break;
    }
    auto next = reply->find("next_cursor");
    if (next == reply->end() || !next->is_string() || next->get<std::string>().empty()) break;
    cursor = next->get<std::string>();
    // A server that hands back a cursor it already gave would otherwise loop forever.
    if (!seen_cursors.insert(cursor).second) break;
  }

  switch (ctx.format) {
    case OutputFormat::kJson:
      PrintJson(ctx.out, {{"jobs", jobs}});
      return kExitOk;
    case OutputFormat::kYaml:
      ctx.out << JsonToYaml({{"jobs", jobs}});
      return kExitOk;
    default:
      break;
  }
  if (jobs.empty()) {
    ctx.err << (options.all || !options.states.empty() ? "No jobs found.\n"
                                                       : "No active jobs (-a lists all).\n");
    return kExitOk;
  }
  RenderJobTable(jobs, ctx.clock.Now(), ctx.format == OutputFormat::kWide, ctx.out);
  return kExitOk;
}

}  // namespace corral::cli
