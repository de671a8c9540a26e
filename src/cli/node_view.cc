#include "cli/node_view.h"

#include <fmt/core.h>

#include "cli/job_json.h"
#include "cli/table.h"

namespace corral::cli {

std::string FormatMemoryMb(int64_t megabytes) {
  if (megabytes <= 0) return "-";
  if (megabytes % 1024 == 0) return fmt::format("{}GiB", megabytes / 1024);
  return fmt::format("{}MiB", megabytes);
}

void RenderNodeTable(const nlohmann::json& reply, std::ostream& out) {
  Table table({"NODE", "GPU", "MODEL", "MEMORY", "STATE", "JOB", "USER", "SIMULATED"});
  int total = 0, used = 0, simulated = 0;
  const auto& nodes = Member(reply, "nodes");
  if (nodes.is_array()) {
    for (const auto& node : nodes) {
      std::string name = TextField(node, "name", "?");
      bool node_simulated = node.value("simulated", false) == true;
      const auto& gpus = Member(node, "gpus");
      if (!gpus.is_array() || gpus.empty()) {
        table.AddRow({name, "-", "-", "-", "no GPUs", "-", "-", node_simulated ? "yes" : ""});
        continue;
      }
      for (const auto& gpu : gpus) {
        bool gpu_simulated = node_simulated || gpu.value("simulated", false) == true;
        std::string job = IdText(gpu.value("job", nlohmann::json()));
        std::string user = TextField(gpu, "user");
        bool in_use = !job.empty() || !user.empty();
        ++total;
        used += in_use ? 1 : 0;
        simulated += gpu_simulated ? 1 : 0;
        table.AddRow({name, TextField(gpu, "index", "?"), TextField(gpu, "model", "-"),
                      FormatMemoryMb(IntField(gpu, "memory_mb").value_or(0)),
                      in_use ? "used" : "free", job.empty() ? "-" : job, user.empty() ? "-" : user,
                      gpu_simulated ? "yes" : ""});
      }
    }
  }
  int node_count = nodes.is_array() ? static_cast<int>(nodes.size()) : 0;
  if (node_count == 0) {
    out << "No nodes.\n";
    return;
  }
  table.Render(out);
  std::string summary =
      fmt::format("{} GPU{} on {} node{}: {} used, {} free", total, total == 1 ? "" : "s",
                  node_count, node_count == 1 ? "" : "s", used, total - used);
  if (simulated == total && total > 0) {
    summary += " (all simulated: no real GPU behind them)";
  } else if (simulated > 0) {
    summary += fmt::format(" ({} simulated)", simulated);
  }
  out << summary << '\n';
}

}  // namespace corral::cli
