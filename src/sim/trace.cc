#include "sim/trace.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace corral::sim {
namespace {

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) {
    if (!cell.empty() && cell.back() == '\r') cell.pop_back();
    out.push_back(cell);
  }
  // getline yields nothing after a trailing comma: the last cell is there, and empty.
  if (line.ends_with(",") || line.ends_with(",\r")) out.emplace_back();
  return out;
}

bool ParseDouble(const std::string& s, double& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<std::vector<TraceJob>> LoadTrace(const std::string& path, const TraceWindow& window) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open trace " + path);
  return ParseTrace(in, path, window);
}

Result<std::vector<TraceJob>> ParseTrace(std::istream& in, const std::string& path,
                                         const TraceWindow& window) {
  std::string line;
  if (!std::getline(in, line)) return InvalidArgument("trace", path + " is empty");
  std::vector<std::string> header = SplitCsv(line);
  auto column = [&](const std::string& name) -> int {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int c_id = column("job_id"), c_submit = column("submit_s"),
            c_duration = column("duration_s"), c_gpus = column("gpus"), c_user = column("user"),
            c_vc = column("vc");
  if (c_id < 0 || c_submit < 0 || c_duration < 0 || c_gpus < 0 || c_user < 0)
    return InvalidArgument("trace",
                           path + ": header must have job_id,submit_s,duration_s,gpus,user");
  const int needed = std::max({c_id, c_submit, c_duration, c_gpus, c_user, c_vc}) + 1;
  std::vector<TraceJob> jobs;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> cells = SplitCsv(line);
    if (static_cast<int>(cells.size()) < needed)
      return InvalidArgument("trace", path + ":" + std::to_string(line_no) + ": too few columns");
    TraceJob j;
    double id = 0, gpus = 0;
    if (!ParseDouble(cells[c_id], id) || !ParseDouble(cells[c_submit], j.submit_s) ||
        !ParseDouble(cells[c_duration], j.duration_s) || !ParseDouble(cells[c_gpus], gpus) ||
        !std::isfinite(j.submit_s) || !std::isfinite(j.duration_s) || j.duration_s < 0)
      return InvalidArgument("trace", path + ":" + std::to_string(line_no) + ": bad number");
    // Ids and GPU counts become integers: out-of-range values would not convert.
    if (!(id >= -9e15 && id <= 9e15))
      return InvalidArgument("trace", path + ":" + std::to_string(line_no) + ": bad job_id");
    if (!(gpus >= 0 && gpus <= 1e6))
      return InvalidArgument("trace", path + ":" + std::to_string(line_no) + ": bad gpus");
    j.id = static_cast<int64_t>(id);
    j.gpus = static_cast<int>(gpus);
    j.user = cells[c_user];
    j.tenant = c_vc >= 0 ? cells[c_vc] : cells[c_user];
    if (window.from_s && j.submit_s < *window.from_s) continue;
    if (window.to_s && j.submit_s >= *window.to_s) continue;
    jobs.push_back(std::move(j));
  }
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const TraceJob& a, const TraceJob& b) { return a.submit_s < b.submit_s; });
  return jobs;
}

uint64_t MixBits(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void SynthesiseUsers(std::vector<TraceJob>& jobs, int per_tenant) {
  if (per_tenant <= 1) return;
  for (auto& j : jobs) {
    const uint64_t x = MixBits(static_cast<uint64_t>(j.id));
    j.user = j.tenant + "/u" + std::to_string(x % static_cast<uint64_t>(per_tenant));
  }
}

}  // namespace corral::sim
