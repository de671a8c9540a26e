#include "cli/job_view.h"

#include <fmt/core.h>

#include <cstring>
#include <set>

#include "cli/job_json.h"
#include "cli/table.h"
#include "cli/time_format.h"

namespace corral::cli {

namespace {

constexpr size_t kWideCommandWidth = 50;

std::string OrDash(std::string text) { return text.empty() ? "-" : text; }

std::string JoinInts(const nlohmann::json& values, std::string_view separator = ",") {
  std::string out;
  if (!values.is_array()) return out;
  for (const auto& v : values) {
    if (!out.empty()) out += separator;
    out += v.is_number_integer() ? std::to_string(v.get<int64_t>()) : v.dump();
  }
  return out;
}

std::vector<std::string> CommandOf(const nlohmann::json& spec) {
  std::vector<std::string> argv;
  const auto& command = Member(spec, "command");
  if (command.is_array()) {
    for (const auto& arg : command) argv.push_back(arg.is_string() ? arg.get<std::string>() : "");
  }
  return argv;
}

std::string CommandSummary(const nlohmann::json& spec) {
  auto argv = CommandOf(spec);
  if (!argv.empty()) return ShellJoin(argv);
  std::string script = TextField(spec, "script");
  if (script.empty()) return "";
  size_t newline = script.find('\n');
  std::string first_line = script.substr(0, newline);
  return "script: " + first_line + (newline != std::string::npos ? " ..." : "");
}

// Node names of the current placement; with `with_gpus`, "node[0,1]" per replica.
std::string PlacementText(const nlohmann::json& job, bool with_gpus) {
  const auto& placement = Member(job, "placement");
  if (!placement.is_array()) return "";
  std::string out;
  std::set<std::string> seen;
  for (const auto& replica : placement) {
    std::string node = TextField(replica, "node");
    if (node.empty()) continue;
    std::string item = node;
    if (with_gpus) {
      std::string gpus = JoinInts(Member(replica, "gpus"));
      if (!gpus.empty()) item += "[" + gpus + "]";
    }
    if (!seen.insert(item).second) continue;
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

std::string RunningTime(const nlohmann::json& job, TimePoint now) {
  auto started = TimeField(job, "started_at");
  if (!started) return "-";
  auto ended = TimeField(job, "ended_at");
  return FormatDuration((ended ? *ended : now) - *started);
}

// EXIT column: the code, or the signal's name when it was killed, or "-".
std::string ExitText(const nlohmann::json& job) {
  if (auto code = IntField(job, "exit_code")) return std::to_string(*code);
  const auto& attempts = Member(job, "attempts");
  if (attempts.is_array() && !attempts.empty()) {
    const auto& replicas = Member(attempts.back(), "replicas");
    if (replicas.is_array()) {
      for (const auto& replica : replicas) {
        if (auto signal = IntField(replica, "signal")) return SignalName(static_cast<int>(*signal));
      }
    }
  }
  return "-";
}

std::string TimeWithAge(const nlohmann::json& object, std::string_view key, TimePoint now) {
  auto text = TextField(object, key);
  if (text.empty()) return "-";
  auto when = TimeField(object, key);
  if (!when) return text;
  return fmt::format("{} ({} ago)", text, FormatAge(*when, now));
}

void Line(std::ostream& out, std::string_view key, std::string_view value, int indent = 0) {
  constexpr int kKeyWidth = 14;
  std::string label = std::string(indent, ' ') + std::string(key) + ":";
  if (static_cast<int>(label.size()) < kKeyWidth)
    label.resize(kKeyWidth, ' ');
  else
    label += ' ';
  out << label << value << '\n';
}

std::string ResourcesText(const nlohmann::json& spec) {
  const auto& resources = Member(spec, "resources");
  int64_t replicas = IntField(spec, "replicas").value_or(1);
  int64_t gpus = IntField(resources, "gpus").value_or(0);
  int64_t cpus = IntField(resources, "cpus").value_or(1);
  int64_t memory = IntField(resources, "memory_mb").value_or(0);
  std::string memory_text = memory > 0 ? fmt::format("{} MB memory", memory) : "memory not set";
  return fmt::format("{} replica{} x ({} GPU{}, {} CPU{}, {})", replicas, replicas == 1 ? "" : "s",
                     gpus, gpus == 1 ? "" : "s", cpus, cpus == 1 ? "" : "s", memory_text);
}

// A map inside the Spec section: "  Title:" then one "    key=value" line per entry.
void MapLines(std::ostream& out, std::string_view title, const nlohmann::json& map) {
  if (!map.is_object() || map.empty()) {
    Line(out, title, "-", 2);
    return;
  }
  out << "  " << title << ":\n";
  for (const auto& [key, value] : map.items()) {
    out << "    " << key << "=" << (value.is_string() ? value.get<std::string>() : value.dump())
        << '\n';
  }
}

}  // namespace

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  if (abbrev == nullptr) return fmt::format("signal {}", signal);
  return std::string("SIG") + abbrev;
}

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !arg.empty() && arg.find_first_not_of(
                                     "abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                     "_-./=:,+@%") == std::string::npos;
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) {
      if (c == '\'')
        out += "'\\''";
      else
        out += c;
    }
    out += '\'';
  }
  return out;
}

int64_t TotalGpus(const nlohmann::json& job) {
  const auto& spec = Member(job, "spec");
  int64_t replicas = IntField(spec, "replicas").value_or(1);
  int64_t gpus = IntField(Member(spec, "resources"), "gpus").value_or(0);
  return replicas * gpus;
}

void RenderJobTable(const std::vector<nlohmann::json>& jobs, TimePoint now, bool wide,
                    std::ostream& out) {
  std::vector<std::string> headers = {"ID", "NAME", "USER", "STATE"};
  if (wide) headers.push_back("REPLICAS");
  headers.insert(headers.end(), {"GPUS", "NODE"});
  if (wide) headers.insert(headers.end(), {"QUEUE", "PRIORITY", "ATTEMPT", "EXIT"});
  headers.insert(headers.end(), {"AGE", "DURATION", "REASON"});
  if (wide) headers.push_back("COMMAND");

  Table table(headers);
  for (const auto& job : jobs) {
    const auto& spec = Member(job, "spec");
    std::vector<std::string> row = {IdText(job.value("id", nlohmann::json())),
                                    OrDash(TextField(job, "name")), OrDash(TextField(job, "owner")),
                                    OrDash(TextField(job, "state"))};
    if (wide) row.push_back(std::to_string(IntField(spec, "replicas").value_or(1)));
    row.push_back(std::to_string(TotalGpus(job)));
    row.push_back(OrDash(PlacementText(job, wide)));
    if (wide) {
      row.push_back(OrDash(TextField(spec, "queue")));
      row.push_back(OrDash(TextField(spec, "priority")) +
                    (spec.value("preemptible", false) == true ? "*" : ""));
      row.push_back(OrDash(TextField(job, "attempt")));
      row.push_back(ExitText(job));
    }
    auto submitted = TimeField(job, "submitted_at");
    row.push_back(submitted ? FormatAge(*submitted, now) : "-");
    row.push_back(RunningTime(job, now));
    row.push_back(TextField(job, "reason"));
    if (wide) row.push_back(Truncate(CommandSummary(spec), kWideCommandWidth));
    table.AddRow(std::move(row));
  }
  table.Render(out);
}

void RenderJobDescription(const nlohmann::json& job, TimePoint now, std::ostream& out) {
  const auto& spec = Member(job, "spec");
  Line(out, "ID", IdText(job.value("id", nlohmann::json())));
  Line(out, "Name", OrDash(TextField(job, "name")));
  Line(out, "Owner", OrDash(TextField(job, "owner")));
  Line(out, "State", OrDash(TextField(job, "state")));
  Line(out, "Reason", OrDash(TextField(job, "reason")));
  Line(out, "Submitted", TimeWithAge(job, "submitted_at", now));
  Line(out, "Started", TimeWithAge(job, "started_at", now));
  Line(out, "Ended", TimeWithAge(job, "ended_at", now));
  Line(out, "Duration", RunningTime(job, now));
  Line(out, "Exit code", ExitText(job));
  Line(out, "Attempt", OrDash(TextField(job, "attempt")));

  out << "Spec:\n";
  auto argv = CommandOf(spec);
  if (!argv.empty()) {
    Line(out, "Command", ShellJoin(argv), 2);
  } else if (auto script = TextField(spec, "script"); !script.empty()) {
    out << "  Script:\n";
    if (script.back() != '\n') script += '\n';
    for (size_t start = 0; start < script.size();) {
      size_t end = script.find('\n', start);
      out << "    " << script.substr(start, end - start) << '\n';
      start = end + 1;
    }
  }
  Line(out, "Workdir", OrDash(TextField(spec, "workdir")), 2);
  Line(out, "Resources", ResourcesText(spec), 2);
  Line(out, "Queue", OrDash(TextField(spec, "queue")), 2);
  std::string priority = OrDash(TextField(spec, "priority"));
  if (spec.value("preemptible", false) == true) priority += " (preemptible)";
  Line(out, "Priority", priority, 2);
  auto time_limit = IntField(spec, "time_limit_s");
  Line(out, "Time limit",
       time_limit && *time_limit > 0 ? FormatDuration(std::chrono::seconds(*time_limit)) : "none",
       2);
  auto retries = IntField(Member(spec, "retry"), "max_retries");
  Line(out, "Retries", std::to_string(retries.value_or(0)), 2);
  MapLines(out, "Env", Member(spec, "env"));
  MapLines(out, "Labels", Member(spec, "labels"));

  const auto& placement = Member(job, "placement");
  if (placement.is_array() && !placement.empty()) {
    out << "Placement:\n";
    for (const auto& replica : placement) {
      out << fmt::format("  replica {}: {} GPUs [{}]\n", TextField(replica, "replica", "?"),
                         OrDash(TextField(replica, "node")), JoinInts(Member(replica, "gpus")));
    }
  } else {
    Line(out, "Placement", "-");
  }

  const auto& attempts = Member(job, "attempts");
  if (!attempts.is_array() || attempts.empty()) {
    Line(out, "Attempts", "none yet");
    return;
  }
  out << "Attempts:\n";
  for (const auto& attempt : attempts) {
    auto code = IntField(attempt, "exit_code");
    std::string end_reason = TextField(attempt, "end_reason");
    out << fmt::format("  #{}  started {}  ended {}  exit {}{}\n",
                       TextField(attempt, "number", "?"), OrDash(TextField(attempt, "started_at")),
                       OrDash(TextField(attempt, "ended_at")), code ? std::to_string(*code) : "-",
                       end_reason.empty() ? "" : "  (" + end_reason + ")");
    const auto& replicas = Member(attempt, "replicas");
    if (!replicas.is_array()) continue;
    for (const auto& replica : replicas) {
      auto replica_code = IntField(replica, "exit_code");
      auto signal = IntField(replica, "signal");
      std::string result = replica_code ? fmt::format("exit {}", *replica_code)
                           : signal     ? fmt::format("killed by {}", SignalName(*signal))
                                        : "exit -";
      std::string external = TextField(replica, "external_id");
      out << fmt::format("    replica {}  {} GPUs [{}]  {}  {}{}\n",
                         TextField(replica, "index", "?"), OrDash(TextField(replica, "node")),
                         JoinInts(Member(replica, "gpus")), OrDash(TextField(replica, "state")),
                         result, external.empty() ? "" : "  id " + external);
    }
  }
}

}  // namespace corral::cli
