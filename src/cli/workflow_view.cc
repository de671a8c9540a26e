#include "cli/workflow_view.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cli/job_json.h"
#include "cli/table.h"
#include "cli/time_format.h"

namespace corral::cli {

using nlohmann::json;

namespace {

const json& Nodes(const json& workflow) { return Member(workflow, "nodes"); }

std::string NodeId(const json& node) { return TextField(node, "id"); }

std::string DisplayName(const json& node) {
  std::string name = TextField(node, "display_name");
  return name.empty() ? TextField(node, "name") : name;
}

// The node ids in drawing order: the workflow's own node, then every other root.
std::vector<std::string> Roots(const json& workflow,
                               const std::map<std::string, const json*>& by_id,
                               const std::vector<std::string>& order) {
  std::set<std::string> children;
  for (const auto& [id, node] : by_id) {
    for (const auto& child : Member(*node, "children")) {
      if (child.is_string()) children.insert(child.get<std::string>());
    }
  }
  std::vector<std::string> roots;
  std::string workflow_name = TextField(workflow, "name");
  for (const auto& id : order) {
    if (children.count(id)) continue;
    if (id == workflow_name || TextField(*by_id.at(id), "name") == workflow_name) {
      roots.insert(roots.begin(), id);
    } else {
      roots.push_back(id);
    }
  }
  return roots;
}

struct NodeIndex {
  std::map<std::string, const json*> by_id;
  std::vector<std::string> order;  // as the server listed them
};

NodeIndex IndexNodes(const json& workflow) {
  NodeIndex index;
  for (const auto& node : Nodes(workflow)) {
    std::string id = NodeId(node);
    if (id.empty() || index.by_id.count(id)) continue;
    index.by_id[id] = &node;
    index.order.push_back(id);
  }
  return index;
}

std::string JobText(const json& node) {
  auto job = IntField(node, "job_id");
  return job ? "job " + std::to_string(*job) : "";
}

std::string DotQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string PhaseColour(std::string_view phase) {
  if (phase == "Succeeded") return "#c8e6c9";
  if (phase == "Failed") return "#ffcdd2";
  if (phase == "Error") return "#ffab91";
  if (phase == "Running") return "#bbdefb";
  if (phase == "Skipped" || phase == "Omitted") return "#eeeeee";
  return "#fff9c4";
}

bool IsNullWord(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

json ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "?") return text;  // quoted, block, or explicitly tagged: a string
  if (IsNullWord(text)) return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, kInt)) {
    try {
      return std::stoll(text);
    } catch (const std::exception&) {
      return text;
    }
  }
  if (std::regex_match(text, kFloat)) {
    try {
      return std::stod(text);
    } catch (const std::exception&) {
      return text;
    }
  }
  return text;
}

json NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = NodeToJson(item.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(NodeToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    default:
      return nullptr;
  }
}

}  // namespace

std::string PhaseMark(std::string_view phase) {
  if (phase == "Succeeded") return "✔";
  if (phase == "Failed") return "✖";
  if (phase == "Error") return "⚠";
  if (phase == "Running") return "●";
  if (phase == "Skipped" || phase == "Omitted") return "○";
  return "◷";
}

std::string ElapsedText(const json& object, TimePoint now) {
  auto started = TimeField(object, "started_at");
  if (!started) return "";
  auto finished = TimeField(object, "finished_at");
  return FormatDuration((finished ? *finished : now) - *started);
}

bool WorkflowFinished(const json& workflow) {
  std::string phase = TextField(workflow, "phase");
  return phase == "Succeeded" || phase == "Failed" || phase == "Error";
}

std::string RenderWorkflowSummary(const json& workflow, TimePoint now) {
  std::ostringstream out;
  auto line = [&](std::string_view label, const std::string& value) {
    if (!value.empty()) out << fmt::format("{:<13}{}\n", std::string(label) + ":", value);
  };
  line("Name", TextField(workflow, "name"));
  line("ID", TextField(workflow, "id"));
  line("Owner", TextField(workflow, "owner"));
  line("Phase", TextField(workflow, "phase"));
  line("Message", TextField(workflow, "message"));
  for (const char* key : {"created_at", "started_at", "finished_at"}) {
    auto at = TimeField(workflow, key);
    if (!at) continue;
    std::string label = key == std::string_view("created_at")   ? "Created"
                        : key == std::string_view("started_at") ? "Started"
                                                                : "Finished";
    line(label, fmt::format("{} ({} ago)", TextField(workflow, key), FormatAge(*at, now)));
  }
  line("Duration", ElapsedText(workflow, now));
  line("Progress", TextField(workflow, "progress"));
  const json& outputs = Member(workflow, "outputs");
  bool first = true;
  for (const auto& p : Member(outputs, "parameters")) {
    line(first ? "Outputs" : "", fmt::format("{}={}", TextField(p, "name"), TextField(p, "value")));
    if (first) first = false;
  }
  for (const auto& a : Member(outputs, "artifacts")) {
    line(first ? "Outputs" : "",
         fmt::format("{} (artifact: {})", TextField(a, "name"), TextField(a, "path")));
    if (first) first = false;
  }
  return out.str();
}

std::string RenderNodeTree(const json& workflow, TimePoint now) {
  NodeIndex index = IndexNodes(workflow);
  Table table({"STEP", "TEMPLATE", "JOB", "DURATION", "MESSAGE"});
  std::set<std::string> drawn;
  // Depth-first; `prefix` is the tree drawing of the ancestors, `last` whether this node is the
  // last child of its parent.
  std::function<void(const std::string&, const std::string&, bool, bool)> draw =
      [&](const std::string& id, const std::string& prefix, bool last, bool root) {
        if (drawn.count(id)) return;
        drawn.insert(id);
        const json& node = *index.by_id.at(id);
        std::string branch = root ? "" : (last ? "└─" : "├─");
        std::string phase = TextField(node, "phase");
        std::string step = prefix + branch + PhaseMark(phase) + " " + DisplayName(node);
        std::string message = TextField(node, "message");
        std::string type = TextField(node, "type");
        if (phase == "Skipped" || phase == "Omitted" || type == "Suspend") {
          message = message.empty() ? phase : phase + ": " + message;
        }
        table.AddRow({" " + step, TextField(node, "template_name"), JobText(node),
                      ElapsedText(node, now), message});
        std::vector<std::string> children;
        for (const auto& child : Member(node, "children")) {
          if (!child.is_string()) continue;
          std::string cid = child.get<std::string>();
          if (index.by_id.count(cid) && !drawn.count(cid)) children.push_back(cid);
        }
        std::string child_prefix = root ? "" : prefix + (last ? "  " : "│ ");
        for (size_t i = 0; i < children.size(); ++i) {
          draw(children[i], child_prefix, i + 1 == children.size(), false);
        }
      };
  for (const auto& root : Roots(workflow, index.by_id, index.order)) draw(root, "", true, true);
  // Nodes in a cycle of children links (none should be) are still shown.
  for (const auto& id : index.order) draw(id, "", true, true);
  std::ostringstream out;
  if (!table.empty()) table.Render(out);
  return out.str();
}

std::string WorkflowDot(const json& workflow) {
  NodeIndex index = IndexNodes(workflow);
  std::ostringstream out;
  out << "digraph " << DotQuote(TextField(workflow, "name", "workflow")) << " {\n";
  out << "  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n";
  for (const auto& id : index.order) {
    const json& node = *index.by_id.at(id);
    std::string phase = TextField(node, "phase");
    std::string type = TextField(node, "type");
    std::string label = DisplayName(node) + "\n" + phase;
    std::string shape = (type == "Pod" || type == "Container") ? "box"
                        : (type == "Skipped")                  ? "box"
                                                               : "ellipse";
    out << "  " << DotQuote(id) << " [label=" << DotQuote(label) << ", shape=" << shape
        << ", fillcolor=" << DotQuote(PhaseColour(phase)) << "];\n";
  }
  for (const auto& id : index.order) {
    for (const auto& child : Member(*index.by_id.at(id), "children")) {
      if (!child.is_string() || !index.by_id.count(child.get<std::string>())) continue;
      out << "  " << DotQuote(id) << " -> " << DotQuote(child.get<std::string>()) << ";\n";
    }
  }
  out << "}\n";
  return out.str();
}

namespace {

// The task names a `depends` expression mentions ("(a.Succeeded || b) && !c.Failed" -> a, b, c).
std::vector<std::string> DependsNames(const std::string& expression) {
  static const std::regex kName(R"([A-Za-z0-9_][-A-Za-z0-9_]*)");
  static const std::set<std::string> kWords{"Succeeded", "Failed",   "Errored",      "Skipped",
                                            "Omitted",   "Daemoned", "AnySucceeded", "AllFailed"};
  std::vector<std::string> names;
  std::string text;
  // Drop ".Phase" suffixes first so they are not read as names.
  static const std::regex kSuffix(R"(\.[A-Za-z]+)");
  text = std::regex_replace(expression, kSuffix, "");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    std::string name = it->str();
    if (!kWords.count(name) && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  return names;
}

std::string StepLabel(const json& step) {
  std::string label = TextField(step, "name");
  std::string tmpl = TextField(step, "template");
  if (tmpl.empty() && step.contains("templateRef")) {
    tmpl =
        TextField(step["templateRef"], "name") + "/" + TextField(step["templateRef"], "template");
  }
  if (!tmpl.empty() && tmpl != label) label += "\n" + tmpl;
  if (step.contains("withItems") || step.contains("withParam") || step.contains("withSequence")) {
    label += "\n(loop)";
  }
  if (step.contains("when")) label += "\nwhen " + TextField(step, "when");
  return label;
}

}  // namespace

std::string SpecDot(const json& document) {
  const json& spec = Member(document, "spec");
  const json& meta = Member(document, "metadata");
  std::string name = TextField(meta, "name", TextField(meta, "generateName", "workflow"));
  std::ostringstream out;
  out << "digraph " << DotQuote(name) << " {\n";
  out << "  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  std::string entry = TextField(spec, "entrypoint");
  for (const auto& tmpl : Member(spec, "templates")) {
    std::string tname = TextField(tmpl, "name");
    auto id = [&](const std::string& step) { return DotQuote(tname + "/" + step); };
    bool is_dag = tmpl.contains("dag");
    bool is_steps = tmpl.contains("steps");
    if (!is_dag && !is_steps) continue;
    out << "  subgraph " << DotQuote("cluster_" + tname)
        << " {\n    label=" << DotQuote(tname + (tname == entry ? " (entrypoint)" : "")) << ";\n";
    if (is_dag) {
      const json& tasks = Member(Member(tmpl, "dag"), "tasks");
      for (const auto& task : tasks) {
        out << "    " << id(TextField(task, "name")) << " [label=" << DotQuote(StepLabel(task))
            << "];\n";
      }
      for (const auto& task : tasks) {
        std::vector<std::string> parents = DependsNames(TextField(task, "depends"));
        for (const auto& d : Member(task, "dependencies")) {
          if (d.is_string()) parents.push_back(d.get<std::string>());
        }
        for (const auto& parent : parents) {
          out << "    " << id(parent) << " -> " << id(TextField(task, "name")) << ";\n";
        }
      }
    } else {
      std::vector<std::string> previous;
      for (const auto& group : Member(tmpl, "steps")) {
        std::vector<std::string> current;
        for (const auto& step : group) {
          std::string sid = id(TextField(step, "name"));
          out << "    " << sid << " [label=" << DotQuote(StepLabel(step)) << "];\n";
          for (const auto& p : previous) out << "    " << p << " -> " << sid << ";\n";
          current.push_back(sid);
        }
        if (!current.empty()) previous = current;
      }
    }
    out << "  }\n";
  }
  out << "}\n";
  return out.str();
}

Status ApplyParameterOverrides(json& document, const std::vector<std::string>& pairs) {
  if (pairs.empty()) return Status::Ok();
  if (!document.is_object()) return InvalidArgument("-p", "the workflow is not an object");
  json& spec = document["spec"];
  if (!spec.is_object()) spec = json::object();
  json& arguments = spec["arguments"];
  if (!arguments.is_object()) arguments = json::object();
  json& params = arguments["parameters"];
  if (!params.is_array()) params = json::array();
  for (const auto& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("-p", fmt::format("\"{}\": expected NAME=VALUE", pair));
    }
    std::string name = pair.substr(0, eq);
    std::string value = pair.substr(eq + 1);
    bool found = false;
    for (auto& p : params) {
      if (p.is_object() && p.value("name", "") == name) {
        p["value"] = value;
        found = true;
      }
    }
    if (!found) params.push_back({{"name", name}, {"value", value}});
  }
  return Status::Ok();
}

Result<std::vector<json>> ParseEmittedDocuments(std::string_view stdout_text) {
  std::vector<json> docs;
  std::istringstream in{std::string(stdout_text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] != '{') continue;
    json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("kind")) continue;
    docs.push_back(std::move(doc));
  }
  if (docs.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "the pipeline printed no workflow: does it call Workflow.create() (or print "
                  "Workflow.to_json() on one line)?");
  }
  return docs;
}

Result<json> YamlToJson(std::string_view text) {
  try {
    YAML::Node node = YAML::Load(std::string(text));
    return NodeToJson(node);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("", fmt::format("not valid YAML: line {}: {}", e.mark.line + 1, e.msg));
  }
}

}  // namespace corral::cli
