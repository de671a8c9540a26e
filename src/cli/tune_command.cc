#include "cli/tune_command.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_json.h"
#include "cli/output_format.h"
#include "cli/table.h"
#include "cli/time_format.h"

namespace corral::cli {

using nlohmann::json;

namespace {

std::string Number(const json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return fmt::format("{:.6g}", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

std::string Params(const json& params) {
  std::string out;
  if (!params.is_object()) return out;
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (!out.empty()) out += " ";
    out += it.key() + "=" + Number(it.value());
  }
  return out;
}

std::string Counts(const json& exp) {
  const json& t = exp.value("trials", json::object());
  return fmt::format("{}/{}", t.value("succeeded", 0) + t.value("failed", 0) + t.value("pruned", 0),
                     exp.value("maxTrialCount", 0));
}

bool Structured(const CommandContext& ctx, const json& value) {
  if (ctx.format == OutputFormat::kJson) {
    PrintJson(ctx.out, value);
    return true;
  }
  if (ctx.format == OutputFormat::kYaml) {
    ctx.out << JsonToYaml(value);
    return true;
  }
  return false;
}

void PrintExperiment(CommandContext& ctx, const json& e) {
  const json& obj = e.value("objective", json::object());
  const json& t = e.value("trials", json::object());
  ctx.out << fmt::format("Experiment:  {} ({})\n", TextField(e, "name"), Number(e["id"]));
  ctx.out << fmt::format(
      "State:       {}{}\n", TextField(e, "state"),
      TextField(e, "message").empty() ? "" : " (" + TextField(e, "message") + ")");
  ctx.out << fmt::format(
      "Objective:   {} {}{}\n", TextField(obj, "direction"), TextField(obj, "metric"),
      obj.value("goal", json()).is_null() ? "" : ", goal " + Number(obj["goal"]));
  ctx.out << fmt::format("Algorithm:   {}, early stopping {}\n", TextField(e, "algorithm"),
                         TextField(e, "early_stopping"));
  ctx.out << fmt::format(
      "Trials:      {} of max {}, {} in parallel\n", Number(t.value("total", json(0))),
      Number(e.value("maxTrialCount", json(0))), Number(e.value("parallelTrialCount", json(0))));
  ctx.out << fmt::format(
      "             pending {}, running {}, succeeded {}, failed {}, pruned {}, cancelled {}\n",
      Number(t.value("pending", json(0))), Number(t.value("running", json(0))),
      Number(t.value("succeeded", json(0))), Number(t.value("failed", json(0))),
      Number(t.value("pruned", json(0))), Number(t.value("cancelled", json(0))));
  const json& best = e.value("best", json());
  if (best.is_object())
    ctx.out << fmt::format("Best:        trial {}: {}={} ({})\n", Number(best["number"]),
                           TextField(obj, "metric"), Number(best["objective"]),
                           Params(best.value("params", json::object())));
  for (const auto& w : e.value("warnings", json::array()))
    ctx.out << "Warning:     " << w.get<std::string>() << "\n";
}

std::string Age(const CommandContext& ctx, const std::string& timestamp) {
  auto then = ParseTimestamp(timestamp);
  return then.ok() ? FormatAge(*then, ctx.clock.Now()) : "-";
}

int Submit(CommandContext& ctx, const TuneOptions& o) {
  std::string body;
  if (o.file == "-") {
    std::stringstream ss;
    ss << ctx.in.rdbuf();
    body = ss.str();
  } else {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) {
      ctx.err << "corral: cannot read " << o.file << "\n";
      return kExitUsage;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    body = ss.str();
  }
  size_t first = body.find_first_not_of(" \t\r\n");
  bool is_json = first != std::string::npos && body[first] == '{';
  // Trials that name no working directory run where the spec was submitted from, as `corral run`
  // does, so that the spec's relative paths work.
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  std::string path = "/experiments";
  if (!ec && !cwd.empty()) path += BuildQuery({{"workdir", cwd}});
  auto exp = ctx.api.PostRaw(path, body, is_json ? "application/json" : "application/yaml");
  if (!exp.ok()) return ReportFailure(exp.status(), ctx.api.connection(), ctx.err);
  if (Structured(ctx, *exp)) return kExitOk;
  ctx.out << fmt::format("experiment {} created ({})\n", Number((*exp)["id"]),
                         TextField(*exp, "name"));
  for (const auto& w : exp->value("warnings", json::array()))
    ctx.err << "warning: " << w.get<std::string>() << "\n";
  return kExitOk;
}

int List(CommandContext& ctx) {
  auto list = ctx.api.GetJson("/experiments");
  if (!list.ok()) return ReportFailure(list.status(), ctx.api.connection(), ctx.err);
  if (Structured(ctx, *list)) return kExitOk;
  Table table({"ID", "NAME", "STATE", "TRIALS", "RUNNING", "BEST", "AGE"});
  for (const auto& e : list->value("experiments", json::array())) {
    const json& best = e.value("best", json());
    table.AddRow({Number(e["id"]), TextField(e, "name"), TextField(e, "state"), Counts(e),
                  Number(e["trials"].value("running", json(0))),
                  best.is_object() ? Number(best["objective"]) : "-",
                  Age(ctx, TextField(e, "created_at"))});
  }
  table.Render(ctx.out);
  return kExitOk;
}

int Trials(CommandContext& ctx, const std::string& id) {
  auto trials = ctx.api.GetJson("/experiments/" + PercentEncode(id) + "/trials");
  if (!trials.ok()) return ReportFailure(trials.status(), ctx.api.connection(), ctx.err);
  if (Structured(ctx, *trials)) return kExitOk;
  Table table({"TRIAL", "STATE", "OBJECTIVE", "JOB", "PARAMS"});
  for (const auto& t : trials->value("trials", json::array()))
    table.AddRow({Number(t["number"]), TextField(t, "state"), Number(t["objective"]),
                  Number(t["job"]), Params(t["params"])});
  table.Render(ctx.out);
  return kExitOk;
}

}  // namespace

CLI::App* AddTuneCommand(CLI::App& app, TuneOptions& o) {
  CLI::App* tune = app.add_subcommand("tune", "Hyperparameter search experiments");
  tune->fallthrough();
  tune->require_subcommand(1);
  CLI::App* submit =
      tune->add_subcommand("submit", "Create an experiment from a Katib or native spec");
  submit->fallthrough();
  submit->add_option("file", o.file, "Spec file, YAML or JSON (- reads stdin)")->required();
  tune->add_subcommand("ls", "List experiments")->fallthrough();
  for (auto [verb, help] : {std::pair{"describe", "Show an experiment"},
                            std::pair{"trials", "List an experiment's trials"},
                            std::pair{"best", "Show the best trial"},
                            std::pair{"stop", "Stop an experiment (cancels running trials)"},
                            std::pair{"resume", "Resume a stopped experiment"}}) {
    CLI::App* sub = tune->add_subcommand(verb, help);
    sub->fallthrough();
    sub->add_option("experiment", o.id, "Experiment id")->required();
  }
  return tune;
}

int TuneCommand(CommandContext& ctx, CLI::App& tune, const TuneOptions& o) {
  auto parsed = [&](const char* verb) { return tune.get_subcommand(verb)->parsed(); };
  if (parsed("submit")) return Submit(ctx, o);
  if (parsed("ls")) return List(ctx);
  if (parsed("trials")) return Trials(ctx, o.id);
  const std::string path = "/experiments/" + PercentEncode(o.id);
  if (parsed("stop") || parsed("resume")) {
    const char* verb = parsed("stop") ? "stop" : "resume";
    auto exp = ctx.api.PostRaw(path + "/" + verb, "", "");
    if (!exp.ok()) return ReportFailure(exp.status(), ctx.api.connection(), ctx.err);
    if (Structured(ctx, *exp)) return kExitOk;
    ctx.out << fmt::format("experiment {} {}\n", o.id, TextField(*exp, "state"));
    return kExitOk;
  }
  auto exp = ctx.api.GetJson(path);
  if (!exp.ok()) return ReportFailure(exp.status(), ctx.api.connection(), ctx.err);
  if (parsed("best")) {
    const json& best = exp->value("best", json());
    if (Structured(ctx, best)) return kExitOk;
    if (!best.is_object()) {
      ctx.err << "corral: experiment " << o.id << " has no complete trial yet\n";
      return kExitFailure;
    }
    ctx.out << fmt::format("trial {}: {}={} {}\n", Number(best["number"]),
                           TextField(exp->value("objective", json::object()), "metric"),
                           Number(best["objective"]), Params(best["params"]));
    return kExitOk;
  }
  if (Structured(ctx, *exp)) return kExitOk;
  PrintExperiment(ctx, *exp);
  return kExitOk;
}

}  // namespace corral::cli
