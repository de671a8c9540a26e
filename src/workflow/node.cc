#include "workflow/node.h"

#include <array>

namespace corral::workflow {

using nlohmann::json;

namespace {
constexpr std::array<std::string_view, 9> kTypes = {
    "Pod", "Container", "Steps", "StepGroup", "DAG", "TaskGroup", "Retry", "Skipped", "Suspend"};
constexpr std::array<std::string_view, 7> kPhases = {"Pending", "Running", "Succeeded", "Failed",
                                                     "Error",   "Skipped", "Omitted"};

json Pairs(const std::vector<NamedValue>& v) {
  json a = json::array();
  for (const auto& p : v) a.push_back({p.name, p.value});
  return a;
}

std::vector<NamedValue> ReadPairs(const json& a) {
  std::vector<NamedValue> v;
  if (!a.is_array()) return v;
  for (const auto& p : a)
    if (p.is_array() && p.size() == 2)
      v.push_back({p[0].get<std::string>(), p[1].get<std::string>()});
  return v;
}
}  // namespace

std::string_view NodeTypeName(NodeType t) { return kTypes[static_cast<size_t>(t)]; }
std::string_view NodePhaseName(NodePhase p) { return kPhases[static_cast<size_t>(p)]; }

std::optional<NodeType> ParseNodeType(std::string_view s) {
  for (size_t i = 0; i < kTypes.size(); ++i)
    if (kTypes[i] == s) return static_cast<NodeType>(i);
  return std::nullopt;
}

std::optional<NodePhase> ParseNodePhase(std::string_view s) {
  for (size_t i = 0; i < kPhases.size(); ++i)
    if (kPhases[i] == s) return static_cast<NodePhase>(i);
  return std::nullopt;
}

json NodeToJson(const Node& n) {
  json j = {{"i", n.id},
            {"n", n.name},
            {"d", n.display_name},
            {"t", NodeTypeName(n.type)},
            {"p", NodePhaseName(n.phase)}};
  if (!n.template_name.empty()) j["tn"] = n.template_name;
  if (!n.message.empty()) j["m"] = n.message;
  if (!n.boundary_id.empty()) j["b"] = n.boundary_id;
  if (!n.parent_id.empty()) {
    j["up"] = n.parent_id;
    j["q"] = n.child_index;
  }
  if (!n.inputs.empty()) j["in"] = Pairs(n.inputs);
  if (n.result) j["r"] = *n.result;
  if (n.exit_code) j["x"] = *n.exit_code;
  if (!n.outputs.empty()) j["out"] = Pairs(n.outputs);
  if (!n.artifacts.empty()) {
    json a = json::array();
    for (const auto& x : n.artifacts) a.push_back({x.name, x.key});
    j["a"] = a;
  }
  if (n.job_id) j["j"] = *n.job_id;
  if (n.started_at) j["s"] = ToMillis(*n.started_at);
  if (n.finished_at) j["f"] = ToMillis(*n.finished_at);
  if (n.item_index >= 0) j["ix"] = n.item_index;
  if (n.wake_at) j["w"] = ToMillis(*n.wake_at);
  if (n.hook) j["h"] = true;
  if (n.memoized) j["mz"] = true;
  return j;
}

Result<Node> NodeFromJson(const json& j) {
  try {
    Node n;
    n.id = j.at("i").get<std::string>();
    n.name = j.at("n").get<std::string>();
    n.display_name = j.at("d").get<std::string>();
    auto t = ParseNodeType(j.at("t").get<std::string>());
    auto p = ParseNodePhase(j.at("p").get<std::string>());
    if (!t || !p) return Internal("stored workflow node has an unknown type or phase");
    n.type = *t;
    n.phase = *p;
    n.template_name = j.value("tn", "");
    n.message = j.value("m", "");
    n.boundary_id = j.value("b", "");
    // Rows written before children were stored with the child carry their parent's list.
    if (j.contains("c")) n.children = j["c"].get<std::vector<std::string>>();
    n.parent_id = j.value("up", "");
    n.child_index = j.value("q", -1);
    if (j.contains("in")) n.inputs = ReadPairs(j["in"]);
    if (j.contains("r")) n.result = j["r"].get<std::string>();
    if (j.contains("x")) n.exit_code = j["x"].get<int>();
    if (j.contains("out")) n.outputs = ReadPairs(j["out"]);
    if (j.contains("a"))
      for (const auto& a : j["a"])
        n.artifacts.push_back({a[0].get<std::string>(), a[1].get<std::string>()});
    if (j.contains("j")) n.job_id = j["j"].get<int64_t>();
    if (j.contains("s")) n.started_at = FromMillis(j["s"].get<int64_t>());
    if (j.contains("f")) n.finished_at = FromMillis(j["f"].get<int64_t>());
    n.item_index = j.value("ix", -1);
    if (j.contains("w")) n.wake_at = FromMillis(j["w"].get<int64_t>());
    n.hook = j.value("h", false);
    n.memoized = j.value("mz", false);
    return n;
  } catch (const json::exception& e) {
    return Internal(std::string("stored workflow node: ") + e.what());
  }
}

std::string NodeIdFor(const std::string& workflow, const std::string& node_name) {
  if (node_name == workflow) return workflow;
  uint32_t h = 2166136261u;
  for (unsigned char c : node_name) {
    h ^= c;
    h *= 16777619u;
  }
  return workflow + "-" + std::to_string(h);
}

}  // namespace corral::workflow
