#include <fmt/core.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_json.h"
#include "cli/log_stream.h"

namespace corral::cli {

namespace {

Result<std::string> ReadWholeFile(const std::string& path, std::istream& stdin_stream,
                                  std::string_view flag) {
  std::stringstream text;
  if (path == "-") {
    text << stdin_stream.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(std::string(flag), fmt::format("cannot read {}", path));
  text << in.rdbuf();
  return text.str();
}

bool IsTerminalState(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled";
}

// Prints how the job ended when it did not succeed, and returns the status to exit with.
int FinishFollow(CommandContext& ctx, const std::string& id, JobOutcome outcome) {
  if (outcome.state != "succeeded") {
    // The job object has what the end event leaves out: the signal, and the reason.
    std::string reason;
    if (auto job = ctx.api.GetJson("/jobs/" + PercentEncode(id)); job.ok()) {
      JobOutcome from_job = OutcomeFromJob(*job);
      if (!from_job.state.empty()) outcome = from_job;
      reason = TextField(*job, "reason");
    }
    int status = JobExitStatus(outcome);
    ctx.err << fmt::format("corral: job {} {}{} (exit status {})\n", id, outcome.state,
                           reason.empty() ? "" : ": " + reason, status);
    return status;
  }
  return JobExitStatus(outcome);
}

}  // namespace

int RunCommand(CommandContext& ctx, RunOptions options) {
  const Connection& connection = ctx.api.connection();
  if (options.follow && ctx.format != OutputFormat::kDefault) {
    ctx.err << "corral: --follow prints the job's output; it cannot be combined with -o\n";
    return kExitUsage;
  }
  if (ctx.format == OutputFormat::kWide) {
    ctx.err << "corral: run prints -o json or -o yaml, not wide\n";
    return kExitUsage;
  }

  Result<nlohmann::json> submitted = Status(StatusCode::kInternal, "not submitted");
  if (!options.spec_file.empty()) {
    auto text = ReadWholeFile(options.spec_file, ctx.in, "--file");
    if (!text.ok()) {
      ReportFailure(text.status(), connection, ctx.err);
      return kExitUsage;
    }
    std::string content_type = SpecFileContentType(options.spec_file, *text);
    submitted = ctx.api.PostRaw("/jobs", std::move(*text), content_type);
  } else {
    if (!options.script_file.empty()) {
      auto text = ReadWholeFile(options.script_file, ctx.in, "--script");
      if (!text.ok()) {
        ReportFailure(text.status(), connection, ctx.err);
        return kExitUsage;
      }
      options.flags.script = std::move(*text);
    }
    auto body = BuildJobRequest(options.flags, ctx.env);
    if (!body.ok()) {
      ReportFailure(body.status(), connection, ctx.err);
      return kExitUsage;
    }
    submitted = ctx.api.PostJson("/jobs", *body);
  }
  if (!submitted.ok()) return ReportFailure(submitted.status(), connection, ctx.err);
  const nlohmann::json& job = *submitted;
  std::string id = IdText(job.value("id", nlohmann::json()));
  if (auto w = job.find("warnings"); w != job.end() && w->is_array()) {
    for (const auto& warning : *w)
      if (warning.is_string()) ctx.err << "corral: warning: " << warning.get<std::string>() << '\n';
  }

  if (!options.follow) {
    switch (ctx.format) {
      case OutputFormat::kJson:
        PrintJson(ctx.out, job);
        break;
      case OutputFormat::kYaml:
        ctx.out << JsonToYaml(job);
        break;
      default:
        ctx.out << id << '\n';
        break;
    }
    return kExitOk;
  }

  std::string state = TextField(job, "state");
  std::string reason = TextField(job, "reason");
  ctx.err << fmt::format(
      "corral: job {} submitted ({}{}); following its output, Ctrl-C stops "
      "following but not the job\n",
      id, state.empty() ? "pending" : state, reason.empty() ? "" : ": " + reason);
  ctx.err.flush();
  auto outcome = FollowJobLogs(ctx.api, id, std::nullopt, std::nullopt, ctx.out);
  if (!outcome.ok()) return ReportFailure(outcome.status(), connection, ctx.err);
  if (outcome->has_value()) return FinishFollow(ctx, id, **outcome);

  // The stream closed without its end event: ask where the job stands.
  auto latest = ctx.api.GetJson("/jobs/" + PercentEncode(id));
  if (latest.ok() && IsTerminalState(TextField(*latest, "state"))) {
    return FinishFollow(ctx, id, OutcomeFromJob(*latest));
  }
  ctx.err << fmt::format(
      "corral: the log stream of job {} closed before the job ended; `corral logs -f {}` "
      "follows it again\n",
      id, id);
  return kExitUnreachable;
}

}  // namespace corral::cli
