#include "api/workflow_routes.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

#include "api/error_response.h"
#include "api/experiments_routes.h"
#include "api/json_response.h"

namespace corral::api {

using nlohmann::json;
using workflow_runner::WorkflowView;

namespace {

std::optional<int64_t> ParseId(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

Status TooLarge(size_t max_bytes) {
  return Status(StatusCode::kResourceExhausted,
                "is larger than " + std::to_string(max_bytes) + " bytes", "body");
}

HttpResponse MethodNotAllowed(const HttpRequest& r) {
  return ErrorResponse(InvalidArgument("method", r.method + " is not allowed on " + r.path));
}

json Time(const std::optional<TimePoint>& t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

json Pairs(const std::vector<workflow::NamedValue>& v) {
  json a = json::array();
  for (const auto& p : v) a.push_back({{"name", p.name}, {"value", p.value}});
  return a;
}

json Artifacts(const std::vector<workflow::NodeArtifact>& v) {
  json a = json::array();
  for (const auto& x : v) a.push_back({{"name", x.name}, {"path", x.key}});
  return a;
}

// A multi-document YAML body: its documents split at `---` lines.
std::vector<std::string> SplitDocuments(const std::string& body) {
  std::vector<std::string> docs;
  std::istringstream in(body);
  std::string line, cur;
  while (std::getline(in, line)) {
    std::string trimmed = line;
    while (!trimmed.empty() && (trimmed.back() == '\r' || trimmed.back() == ' '))
      trimmed.pop_back();
    if (trimmed == "---" || trimmed.rfind("--- ", 0) == 0) {
      docs.push_back(cur);
      cur.clear();
      continue;
    }
    cur += line + "\n";
  }
  docs.push_back(cur);
  std::vector<std::string> out;
  for (auto& d : docs) {
    bool blank = true;
    std::istringstream lines(d);
    for (std::string l; std::getline(lines, l);) {
      size_t f = l.find_first_not_of(" \t\r");
      if (f != std::string::npos && l[f] != '#') blank = false;
    }
    if (!blank) out.push_back(d);
  }
  return out;
}

}  // namespace

json WorkflowSummaryToJson(const WorkflowView& v) {
  return {{"id", v.row.id},
          {"name", v.row.name},
          {"owner", v.row.owner.value},
          {"phase", v.row.phase},
          {"message", v.row.message},
          {"created_at", FormatRfc3339(v.row.created_at)},
          {"started_at", Time(v.row.started_at)},
          {"finished_at", Time(v.row.finished_at)},
          {"progress", v.progress}};
}

namespace {

json NodeToApiJson(const workflow::Node& n) {
  json o = {{"parameters", Pairs(n.outputs)}, {"artifacts", Artifacts(n.artifacts)}};
  if (n.result) o["result"] = *n.result;
  if (n.exit_code) o["exit_code"] = *n.exit_code;
  json node = {{"id", n.id},
               {"name", n.name},
               {"display_name", n.display_name},
               {"type", workflow::NodeTypeName(n.type)},
               {"template_name", n.template_name},
               {"phase", workflow::NodePhaseName(n.phase)},
               {"message", n.message},
               {"boundary_id", n.boundary_id},
               {"children", n.children},
               {"inputs", {{"parameters", Pairs(n.inputs)}}},
               {"outputs", o},
               {"started_at", Time(n.started_at)},
               {"finished_at", Time(n.finished_at)}};
  if (n.job_id) node["job_id"] = *n.job_id;
  return node;
}

json WorkflowHead(const WorkflowView& v) {
  json j = WorkflowSummaryToJson(v);
  j["spec"] = v.spec;
  j["outputs"] = {{"parameters", Pairs(v.outputs)}, {"artifacts", Artifacts(v.artifacts)}};
  return j;
}

}  // namespace

json WorkflowViewToJson(const WorkflowView& v) {
  json j = WorkflowHead(v);
  json nodes = json::array();
  for (const auto& n : v.nodes) nodes.push_back(NodeToApiJson(n));
  j["nodes"] = std::move(nodes);
  return j;
}

std::string WorkflowViewBody(const WorkflowView& v) {
  // Written node by node: a 10,000-node run never holds its whole document as a JSON tree.
  std::string body = WorkflowHead(v).dump(-1, ' ', false, json::error_handler_t::replace);
  body.pop_back();  // the head's closing brace
  body += ",\"nodes\":[";
  bool first = true;
  for (const auto& n : v.nodes) {
    if (!first) body += ',';
    first = false;
    body += NodeToApiJson(n).dump(-1, ' ', false, json::error_handler_t::replace);
  }
  body += "]}";
  return body;
}

HttpResponse WorkflowRoutes::Handle(const jobs::Caller& caller,
                                    const std::vector<std::string>& parts,
                                    const HttpRequest& request) {
  if (parts[0] == "workflow-templates") return Templates(caller, parts, request);
  return Workflows(caller, parts, request);
}

HttpResponse WorkflowRoutes::Create(const jobs::Caller& caller, const HttpRequest& request) {
  if (request.body.size() > max_body_bytes_) return ErrorResponse(TooLarge(max_body_bytes_));
  for (const auto& [key, value] : request.query)
    return ErrorResponse(InvalidArgument(key, "unknown query parameter"));
  auto body = ParseSpecBody(request.body, request.Header("content-type"));
  if (!body.ok()) return ErrorResponse(body.status());
  auto created = CallDurable(control_, [&] { return workflows_.Create(caller, *body); });
  if (!created.ok()) return ErrorResponse(created.status());
  HttpResponse r = JsonResponse(
      201, {{"id", created->id}, {"name", created->name}, {"warnings", created->warnings}});
  r.headers.push_back({"Location", "/api/v1/workflows/" + std::to_string(created->id)});
  return r;
}

HttpResponse WorkflowRoutes::Workflows(const jobs::Caller& caller,
                                       const std::vector<std::string>& parts,
                                       const HttpRequest& request) {
  const std::string& m = request.method;
  if (parts.size() == 1) {
    if (m == "POST") return Create(caller, request);
    if (m != "GET") return MethodNotAllowed(request);
    std::string phase;
    int limit = 100;
    for (const auto& [key, value] : request.query) {
      if (key == "phase") {
        phase = value;
      } else if (key == "limit") {
        auto v = ParseId(value);
        if (!v || *v > 10000) return ErrorResponse(InvalidArgument("limit", "must be 1..10000"));
        limit = static_cast<int>(*v);
      } else {
        return ErrorResponse(InvalidArgument(key, "unknown query parameter"));
      }
    }
    auto list = CallOnControl(control_, [&] { return workflows_.List(caller, phase, limit); });
    if (!list.ok()) return ErrorResponse(list.status());
    json items = json::array();
    for (const auto& v : *list) items.push_back(WorkflowSummaryToJson(v));
    return JsonResponse(200, {{"workflows", items}});
  }
  auto id = ParseId(parts[1]);
  if (!id) return ErrorResponse(NotFound("workflow '" + parts[1] + "' not found"));
  if (parts.size() == 2) {
    if (m == "DELETE") {
      auto done = CallDurable(control_, [&]() -> Result<bool> {
        Status s = workflows_.Delete(caller, *id);
        if (!s.ok()) return s;
        return true;
      });
      if (!done.ok()) return ErrorResponse(done.status());
      return JsonResponse(200, {{"id", *id}, {"deleted", true}});
    }
    if (m != "GET") return MethodNotAllowed(request);
    auto v = CallOnControl(control_, [&] { return workflows_.Get(caller, *id); });
    if (!v.ok()) return ErrorResponse(v.status());
    HttpResponse r;
    r.body = WorkflowViewBody(*v);
    return r;
  }
  if (parts.size() == 3 && parts[2] == "logs") {
    if (m != "GET") return MethodNotAllowed(request);
    return Logs(caller, *id, request);
  }
  if (parts.size() == 3) {
    if (m != "POST") return MethodNotAllowed(request);
    const std::string& verb = parts[2];
    if (verb == "resubmit") {
      auto created = CallDurable(control_, [&] { return workflows_.Resubmit(caller, *id); });
      if (!created.ok()) return ErrorResponse(created.status());
      return JsonResponse(
          201, {{"id", created->id}, {"name", created->name}, {"warnings", created->warnings}});
    }
    if (verb != "stop" && verb != "terminate" && verb != "suspend" && verb != "resume" &&
        verb != "retry")
      return ErrorResponse(NotFound("no route for " + request.path));
    auto v = CallDurable(control_, [&]() -> Result<WorkflowView> {
      Status s = verb == "stop"        ? workflows_.Stop(caller, *id)
                 : verb == "terminate" ? workflows_.Terminate(caller, *id)
                 : verb == "suspend"   ? workflows_.Suspend(caller, *id)
                 : verb == "resume"    ? workflows_.Resume(caller, *id)
                                       : workflows_.Retry(caller, *id);
      if (!s.ok()) return s;
      return workflows_.Get(caller, *id);
    });
    if (!v.ok()) return ErrorResponse(v.status());
    return JsonResponse(200, WorkflowSummaryToJson(*v));
  }
  return ErrorResponse(NotFound("no route for " + request.path));
}

HttpResponse WorkflowRoutes::Logs(const jobs::Caller& caller, int64_t id,
                                  const HttpRequest& request) {
  std::string node;
  for (const auto& [key, value] : request.query) {
    if (key == "node") {
      node = value;
    } else {
      return ErrorResponse(InvalidArgument(key, "unknown query parameter"));
    }
  }
  auto paths =
      CallOnControl(control_, [&]() -> Result<std::vector<std::pair<std::string, std::string>>> {
        CORRAL_ASSIGN_OR_RETURN(auto jobs, workflows_.LogJobs(caller, id, node));
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& [display, job] : jobs) {
          auto p = jobs_.LogPath(caller, job, std::nullopt, 0);
          if (p.ok()) out.emplace_back(display, *p);
        }
        return out;
      });
  if (!paths.ok()) return ErrorResponse(paths.status());
  std::string text;
  for (const auto& [display, path] : *paths) {
    std::ifstream f(path, std::ios::binary);
    if (!f) continue;
    std::ostringstream ss;
    ss << f.rdbuf();
    std::string content = ss.str();
    if (!node.empty()) {
      text += content;
      continue;
    }
    std::istringstream lines(content);
    for (std::string line; std::getline(lines, line);) text += "[" + display + "] " + line + "\n";
  }
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text);
  return r;
}

HttpResponse WorkflowRoutes::Templates(const jobs::Caller& caller,
                                       const std::vector<std::string>& parts,
                                       const HttpRequest& request) {
  const std::string& m = request.method;
  if (parts.size() == 1) {
    if (m == "POST") {
      if (request.body.size() > max_body_bytes_) return ErrorResponse(TooLarge(max_body_bytes_));
      std::vector<json> docs;
      auto texts = SplitDocuments(request.body);
      if (texts.size() <= 1) {
        auto single = ParseSpecBody(request.body, request.Header("content-type"));
        if (!single.ok()) return ErrorResponse(single.status());
        if (single->is_array()) {
          for (const auto& d : *single) docs.push_back(d);
        } else {
          docs.push_back(*single);
        }
      } else {
        for (const auto& t : texts) {
          auto d = ParseSpecBody(t, "application/yaml");
          if (!d.ok()) return ErrorResponse(d.status());
          docs.push_back(*d);
        }
      }
      std::vector<std::string> warnings;
      auto put =
          CallDurable(control_, [&] { return workflows_.PutTemplates(caller, docs, warnings); });
      if (!put.ok()) return ErrorResponse(put.status());
      json items = json::array();
      for (const auto& t : *put) items.push_back({{"name", t.name}, {"kind", t.kind}});
      return JsonResponse(201, {{"templates", items}, {"warnings", warnings}});
    }
    if (m != "GET") return MethodNotAllowed(request);
    auto list = CallOnControl(control_, [&] { return workflows_.ListTemplates(caller); });
    if (!list.ok()) return ErrorResponse(list.status());
    json items = json::array();
    for (const auto& t : *list)
      items.push_back(
          {{"name", t.name}, {"kind", t.kind}, {"created_at", FormatRfc3339(t.created_at)}});
    return JsonResponse(200, {{"templates", items}});
  }
  if (parts.size() == 3) {
    if (m != "DELETE") return MethodNotAllowed(request);
    std::string kind = parts[1] == "workflowtemplate"          ? "WorkflowTemplate"
                       : parts[1] == "clusterworkflowtemplate" ? "ClusterWorkflowTemplate"
                                                               : "";
    if (kind.empty())
      return ErrorResponse(
          NotFound("no kind '" + parts[1] + "' (workflowtemplate or clusterworkflowtemplate)"));
    auto done = CallDurable(control_, [&]() -> Result<bool> {
      Status s = workflows_.DeleteTemplate(caller, kind, parts[2]);
      if (!s.ok()) return s;
      return true;
    });
    if (!done.ok()) return ErrorResponse(done.status());
    return JsonResponse(200, {{"kind", kind}, {"name", parts[2]}, {"deleted", true}});
  }
  return ErrorResponse(NotFound("no route for " + request.path));
}

}  // namespace corral::api
