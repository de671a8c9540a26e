#include "cli/top_view.h"

#include <fmt/core.h>

#include <charconv>

#include "cli/job_json.h"
#include "cli/table.h"
#include "cli/time_format.h"

namespace corral::cli {
namespace {

// Reads `name="value"` pairs of one label set, undoing the format's escapes.
std::map<std::string, std::string> ParseLabels(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '"') break;
    std::string name(text.substr(i, eq - i));
    std::string value;
    size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] == '\\' && j + 1 < text.size()) {
        ++j;
        value += text[j] == 'n' ? '\n' : text[j];
      } else {
        value += text[j];
      }
    }
    out[name] = value;
    i = j + 1;
    if (i < text.size() && text[i] == ',') ++i;
  }
  return out;
}

std::string Bar(int used, int total) {
  std::string bar = "[";
  for (int i = 0; i < total; ++i) bar += i < used ? '#' : '.';
  return bar + "]";
}

}  // namespace

GpuUtilization ParseGpuUtilization(std::string_view text) {
  GpuUtilization out;
  constexpr std::string_view kName = "corral_gpu_utilization_ratio{";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, kName.size()) != kName) continue;
    size_t close = line.rfind('}');
    if (close == std::string_view::npos || close + 2 > line.size()) continue;
    auto labels = ParseLabels(line.substr(kName.size(), close - kName.size()));
    std::string_view number = line.substr(close + 2);
    double value = 0;
    auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc()) continue;
    int index = 0;
    const std::string& gpu = labels["gpu"];
    auto [q, ec2] = std::from_chars(gpu.data(), gpu.data() + gpu.size(), index);
    if (ec2 != std::errc() || labels["node"].empty()) continue;
    out[{labels["node"], index}] = value;
  }
  return out;
}

void RenderTop(const TopInput& in, TimePoint now, std::ostream& out) {
  const auto& nodes = Member(in.nodes, "nodes");
  int total = 0, used = 0, down = 0, node_count = 0;
  Table node_table({"NODE", "GPUS", "USED", "STATE"});
  Table gpu_table({"NODE", "GPU", "JOB", "USER", "UTIL", "MODEL"});
  bool any_simulated = false;
  if (nodes.is_array()) {
    for (const auto& node : nodes) {
      ++node_count;
      std::string name = TextField(node, "name", "?");
      bool up = node.value("up", true) == true;
      bool node_simulated = node.value("simulated", false) == true;
      down += up ? 0 : 1;
      int node_used = 0, node_total = 0;
      const auto& gpus = Member(node, "gpus");
      if (gpus.is_array()) {
        for (const auto& gpu : gpus) {
          ++node_total;
          std::string job = IdText(gpu.value("job", nlohmann::json()));
          std::string user = TextField(gpu, "user");
          // Another user's job id is hidden from non-admins; its user still says the GPU is held.
          bool in_use = !job.empty() || !user.empty();
          node_used += in_use ? 1 : 0;
          bool simulated = node_simulated || gpu.value("simulated", false) == true;
          any_simulated = any_simulated || simulated;
          auto index = IntField(gpu, "index").value_or(-1);
          std::string util = "-";
          auto it = in.utilization.find({name, static_cast<int>(index)});
          if (it != in.utilization.end())
            util = fmt::format("{:.0f}%{}", it->second * 100, simulated ? "*" : "");
          gpu_table.AddRow({name, std::to_string(index), job.empty() ? "-" : job,
                            user.empty() ? "-" : user, util, TextField(gpu, "model", "-")});
        }
      }
      total += node_total;
      used += node_used;
      node_table.AddRow({name, Bar(node_used, node_total),
                         fmt::format("{}/{}", node_used, node_total), up ? "up" : "DOWN"});
    }
  }
  int running = 0, pending = 0;
  Table queue_table({"QUEUE", "GUARANTEED", "IN USE", "RUNNING", "PENDING"});
  const auto& queues = Member(in.queues, "queues");
  if (queues.is_array()) {
    for (const auto& q : queues) {
      running += q.value("running_jobs", 0);
      pending += q.value("pending_jobs", 0);
      queue_table.AddRow({TextField(q, "name", "?"), std::to_string(q.value("guaranteed_gpus", 0)),
                          std::to_string(q.value("gpus_in_use", 0)),
                          std::to_string(q.value("running_jobs", 0)),
                          std::to_string(q.value("pending_jobs", 0))});
    }
  }
  out << fmt::format("GPUs {}/{} in use ({}%) on {} node{}{} | jobs: {} running, {} waiting\n\n",
                     used, total, total > 0 ? used * 100 / total : 0, node_count,
                     node_count == 1 ? "" : "s", down > 0 ? fmt::format(", {} down", down) : "",
                     running, pending);
  if (node_count == 0) {
    out << "No nodes.\n";
  } else {
    node_table.Render(out);
    out << '\n';
    gpu_table.Render(out);
    if (!in.utilization_known) {
      out << "(UTIL needs /metrics, which admins and the scrape token may read)\n";
    } else if (any_simulated) {
      out << "(* simulated GPU: 100% while a job holds it)\n";
    }
  }
  out << '\n';
  queue_table.Render(out);
  const auto& jobs = Member(in.running, "jobs");
  if (jobs.is_array() && !jobs.empty()) {
    out << '\n';
    Table job_table({"JOB", "NAME", "USER", "QUEUE", "GPUS", "RUNNING FOR"});
    for (const auto& job : jobs) {
      const auto& spec = Member(job, "spec");
      int64_t gpus = IntField(Member(spec, "resources"), "gpus").value_or(0) *
                     IntField(spec, "replicas").value_or(1);
      auto started = TimeField(job, "started_at");
      job_table.AddRow({IdText(job.value("id", nlohmann::json())), TextField(job, "name", "-"),
                        TextField(job, "owner", "-"), TextField(spec, "queue", "-"),
                        std::to_string(gpus), started ? FormatAge(*started, now) : "-"});
    }
    job_table.Render(out);
  }
}

}  // namespace corral::cli
