#include "exec/slurm/slurm_output.h"

#include <charconv>

namespace corral::exec::slurm {
namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

template <typename T>
T ToNumber(std::string_view s, T fallback = 0) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() ? v : fallback;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  for (auto line : Split(text, '\n')) {
    line = Trim(line);
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace

std::vector<QueueRow> ParseQueue(std::string_view text) {
  std::vector<QueueRow> rows;
  for (auto line : Lines(text)) {
    auto f = Split(line, '|');
    if (f.size() < 4 || f[0].empty()) continue;
    rows.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2]), std::string(f[3])});
  }
  return rows;
}

std::vector<AccountingRow> ParseAccounting(std::string_view text) {
  std::vector<AccountingRow> rows;
  for (auto line : Lines(text)) {
    auto f = Split(line, '|');
    if (f.size() < 3 || f[0].empty()) continue;
    // Steps ("12.batch", "12.0") have their own lines; the job's line is the bare id.
    if (f[0].find('.') != std::string_view::npos) continue;
    AccountingRow row;
    row.job_id = std::string(f[0]);
    // "CANCELLED by 0" -> "CANCELLED"
    row.state = std::string(f[1].substr(0, f[1].find(' ')));
    auto code = Split(f[2], ':');
    row.exit_code = ToNumber<int>(code[0]);
    if (code.size() > 1) row.signal = ToNumber<int>(code[1]);
    if (f.size() > 3) row.nodes = std::string(f[3]);
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::string> ParseSubmittedId(std::string_view text) {
  std::string_view t = Trim(text);
  if (auto nl = t.find('\n'); nl != std::string_view::npos) t = Trim(t.substr(0, nl));
  t = t.substr(0, t.find(';'));
  if (t.empty() || t.find_first_not_of("0123456789") != std::string_view::npos)
    return Internal("sbatch printed no job id: '" + std::string(Trim(text)) + "'");
  return std::string(t);
}

int GpuCountInGres(std::string_view gres) {
  int total = 0;
  for (auto item : Split(gres, ',')) {
    item = Trim(item);
    item = item.substr(0, item.find('('));
    auto parts = Split(item, ':');
    if (parts.size() < 2 || parts[0] != "gpu") continue;
    total += ToNumber<int>(parts.back());
  }
  return total;
}

std::vector<SlurmNode> ParseNodes(std::string_view text) {
  std::vector<SlurmNode> nodes;
  for (auto line : Lines(text)) {
    SlurmNode node;
    // Key=Value pairs separated by spaces; only Reason= may hold spaces, and it comes last among
    // the fields read here, running up to the next " Key=" of a known shape.
    size_t pos = 0;
    while (pos < line.size()) {
      size_t eq = line.find('=', pos);
      if (eq == std::string_view::npos) break;
      std::string_view key = Trim(line.substr(pos, eq - pos));
      size_t end = line.find(' ', eq + 1);
      if (key == "Reason") {
        // Reason=Not responding [slurm@2026-12-03T08:00:00] -- to the end of the bracket, or line.
        size_t bracket = line.find(']', eq + 1);
        end = bracket == std::string_view::npos ? line.size() : bracket + 1;
      }
      if (end == std::string_view::npos) end = line.size();
      std::string_view value = line.substr(eq + 1, end - eq - 1);
      if (key == "NodeName")
        node.name = std::string(value);
      else if (key == "NodeAddr")
        node.address = std::string(value);
      else if (key == "CPUTot")
        node.cpus = ToNumber<int>(value);
      else if (key == "RealMemory")
        node.memory_mb = ToNumber<int64_t>(value);
      else if (key == "Gres")
        node.gpus = GpuCountInGres(value);
      else if (key == "State")
        node.state = std::string(value);
      else if (key == "Reason")
        node.reason = std::string(value);
      else if (key == "Partitions") {
        for (auto p : Split(value, ',')) node.partitions.emplace_back(p);
      }
      pos = end + 1;
    }
    if (node.name.empty()) continue;
    if (node.address.empty()) node.address = node.name;
    const std::string& s = node.state;
    node.usable = !s.empty();
    for (const char* bad :
         {"DOWN", "DRAIN", "FAIL", "INVAL", "FUTURE", "POWER", "NOT_RESPONDING"}) {
      if (s.find(bad) != std::string::npos) node.usable = false;
    }
    if (!s.empty() && s.back() == '*') node.usable = false;  // not responding
    nodes.push_back(std::move(node));
  }
  return nodes;
}

SlurmJobPhase PhaseOf(std::string_view state) {
  if (state == "PENDING" || state == "CONFIGURING" || state == "REQUEUED" ||
      state == "REQUEUE_HOLD" || state == "REQUEUE_FED" || state == "RESV_DEL_HOLD")
    return SlurmJobPhase::kPending;
  if (state == "RUNNING" || state == "SUSPENDED" || state == "STOPPED" || state == "SIGNALING" ||
      state == "STAGE_OUT" || state == "RESIZING")
    return SlurmJobPhase::kRunning;
  if (state == "COMPLETING") return SlurmJobPhase::kEnding;
  return SlurmJobPhase::kDone;
}

}  // namespace corral::exec::slurm
