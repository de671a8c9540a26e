#include "api/experiments_routes.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

#include "api/error_response.h"
#include "api/json_reader.h"
#include "api/json_response.h"
#include "model/field_rules.h"

namespace corral::api {

using nlohmann::json;

namespace {

constexpr size_t kMaxMetricNameBytes = 256;

std::optional<int64_t> ParseId(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

json ParamValueToJson(const ParamValue& v) {
  return std::visit([](const auto& x) { return json(x); }, v);
}

json NumberOrNull(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

HttpResponse MethodNotAllowed(const HttpRequest& r) {
  return ErrorResponse(
      InvalidArgument("method", "method " + r.method + " is not allowed on " + r.path));
}

}  // namespace

json TrialToJson(const Trial& t) {
  json params = json::object();
  for (const auto& [k, v] : t.params) params[k] = ParamValueToJson(v);
  return {{"number", t.number},
          {"state", t.state},
          {"params", params},
          {"objective", NumberOrNull(t.objective)},
          {"job", t.job.valid() ? json(t.job.value) : json(nullptr)}};
}

json MetricPointToJson(const MetricPoint& p) {
  return {{"name", p.name},
          {"step", p.step},
          {"value", NumberOrNull(p.value)},
          {"time", FormatRfc3339(p.time)}};
}

namespace {

json SearchCostToJson(const experiments::SearchCost& c) {
  auto mean = [](double total, int64_t n) { return n > 0 ? total / static_cast<double>(n) : 0.0; };
  return {{"suggestions", c.suggestions},
          {"ask_ms_mean", mean(c.ask_ms_total, c.suggestions)},
          {"ask_ms_max", c.ask_ms_max},
          {"ask_ms_last", c.ask_ms_last},
          {"saves", c.saves},
          {"save_ms_mean", mean(c.save_ms_total, c.saves)},
          {"save_ms_max", c.save_ms_max},
          {"save_ms_last", c.save_ms_last}};
}

}  // namespace

json ExperimentViewToJson(const experiments::ExperimentView& v) {
  const Experiment& e = v.experiment;
  const auto& c = v.counts;
  json objective = {
      {"metric", v.spec.objective.metric},
      {"direction",
       v.spec.objective.direction == tune::Direction::kMaximize ? "maximize" : "minimize"},
      {"goal", NumberOrNull(v.spec.objective.goal)}};
  return {{"id", e.id.value},
          {"name", e.name},
          {"owner", e.owner.value},
          {"state", e.state},
          {"message", v.message},
          {"format", v.format},
          {"created_at", FormatRfc3339(e.created_at)},
          {"ended_at", e.ended_at ? json(FormatRfc3339(*e.ended_at)) : json(nullptr)},
          {"objective", objective},
          {"algorithm", tune::SamplerKindName(v.spec.study.sampler.kind)},
          {"early_stopping", tune::PrunerKindName(v.spec.study.pruner.kind)},
          {"parallelTrialCount", v.spec.parallel_trials},
          {"maxTrialCount", v.spec.max_trials},
          {"maxFailedTrialCount",
           v.spec.max_failed_trials ? json(*v.spec.max_failed_trials) : json(nullptr)},
          {"trials",
           {{"total", c.pending + c.running + c.succeeded + c.failed + c.pruned + c.cancelled},
            {"pending", c.pending},
            {"running", c.running},
            {"succeeded", c.succeeded},
            {"failed", c.failed},
            {"pruned", c.pruned},
            {"cancelled", c.cancelled}}},
          {"best", v.best ? TrialToJson(*v.best) : json(nullptr)},
          {"search_cost", SearchCostToJson(v.cost)},
          {"warnings", v.warnings},
          {"spec", experiments::ExperimentSpecToJson(v.spec)}};
}

Result<json> ParseSpecBody(const std::string& body, const std::string& content_type) {
  if (content_type.find("yaml") != std::string::npos) return ParseBody(body, content_type);
  auto as_json = ParseBody(body, "application/json");
  if (as_json.ok()) return as_json;
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (body[first] == '{' || body[first] == '['))
    return as_json;  // meant as JSON: its error is the useful one
  return ParseBody(body, "application/yaml");
}

HttpResponse ExperimentsRoutes::Handle(const jobs::Caller& caller,
                                       const std::vector<std::string>& parts,
                                       const HttpRequest& request) {
  const std::string& m = request.method;
  if (parts.size() == 1) {
    if (m == "POST") return Create(caller, request);
    if (m != "GET") return MethodNotAllowed(request);
    auto list = CallOnControl(control_, [&] { return experiments_.List(caller); });
    if (!list.ok()) return ErrorResponse(list.status());
    json items = json::array();
    for (const auto& v : *list) items.push_back(ExperimentViewToJson(v));
    return JsonResponse(200, {{"experiments", items}});
  }
  auto raw_id = ParseId(parts[1]);
  if (!raw_id || *raw_id == 0)
    return ErrorResponse(NotFound("experiment '" + parts[1] + "' not found"));
  ExperimentId id(*raw_id);
  if (parts.size() == 2) {
    if (m != "GET") return MethodNotAllowed(request);
    auto v = CallOnControl(control_, [&] { return experiments_.Get(caller, id); });
    if (!v.ok()) return ErrorResponse(v.status());
    return JsonResponse(200, ExperimentViewToJson(*v));
  }
  if (parts.size() == 3 && (parts[2] == "stop" || parts[2] == "resume")) {
    if (m != "POST") return MethodNotAllowed(request);
    bool stop = parts[2] == "stop";
    auto v = CallDurable(control_, [&] {
      return stop ? experiments_.Stop(caller, id) : experiments_.Resume(caller, id);
    });
    if (!v.ok()) return ErrorResponse(v.status());
    return JsonResponse(200, ExperimentViewToJson(*v));
  }
  if (parts.size() == 3 && parts[2] == "trials") {
    if (m != "GET") return MethodNotAllowed(request);
    auto trials = CallOnControl(control_, [&] { return experiments_.Trials(caller, id); });
    if (!trials.ok()) return ErrorResponse(trials.status());
    json items = json::array();
    for (const auto& t : *trials) items.push_back(TrialToJson(t));
    return JsonResponse(200, {{"trials", items}});
  }
  if (parts.size() == 5 && parts[2] == "trials" && parts[4] == "metrics") {
    auto number = ParseId(parts[3]);
    if (!number || *number > INT32_MAX)
      return ErrorResponse(NotFound("trial '" + parts[3] + "' not found"));
    if (m == "POST") return PushMetric(caller, id, static_cast<int>(*number), request);
    if (m != "GET") return MethodNotAllowed(request);
    std::optional<std::string> name;
    for (const auto& [key, value] : request.query) {
      if (key == "name") {
        name = value;
      } else {
        return ErrorResponse(InvalidArgument(key, "unknown query parameter"));
      }
    }
    auto points = CallOnControl(control_, [&] {
      return experiments_.TrialMetrics(caller, id, static_cast<int>(*number), name);
    });
    if (!points.ok()) return ErrorResponse(points.status());
    json series = json::object();
    for (const auto& p : *points) {
      if (!series.contains(p.name)) series[p.name] = json::array();
      series[p.name].push_back(
          {{"step", p.step}, {"value", NumberOrNull(p.value)}, {"time", FormatRfc3339(p.time)}});
    }
    return JsonResponse(200, {{"trial", *number}, {"metrics", series}});
  }
  return ErrorResponse(NotFound("no route for " + request.path));
}

HttpResponse ExperimentsRoutes::Create(const jobs::Caller& caller, const HttpRequest& request) {
  if (request.body.size() > max_body_bytes_)
    return ErrorResponse(Status(StatusCode::kResourceExhausted, "request body too large"));
  experiments::SpecDefaults defaults;
  for (const auto& [key, value] : request.query) {
    if (key != "workdir") return ErrorResponse(InvalidArgument(key, "unknown query parameter"));
    if (Status s = rules::CheckAbsolutePath("workdir", value); !s.ok()) return ErrorResponse(s);
    defaults.workdir = value;
  }
  auto body = ParseSpecBody(request.body, request.Header("content-type"));
  if (!body.ok()) return ErrorResponse(body.status());
  auto parsed = experiments::ParseExperimentSpec(*body, defaults);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  auto view =
      CallDurable(control_, [&] { return experiments_.Create(caller, std::move(*parsed)); });
  if (!view.ok()) return ErrorResponse(view.status());
  HttpResponse r = JsonResponse(201, ExperimentViewToJson(*view));
  r.headers.push_back(
      {"Location", "/api/v1/experiments/" + std::to_string(view->experiment.id.value)});
  return r;
}

HttpResponse ExperimentsRoutes::PushMetric(const jobs::Caller& caller, ExperimentId id, int number,
                                           const HttpRequest& request) {
  auto body = ParseBody(request.body, request.Header("content-type"));
  if (!body.ok()) return ErrorResponse(body.status());
  JsonObjectReader r(*body, "");
  if (Status s = r.Check({"name", "value", "step"}); !s.ok()) return ErrorResponse(s);
  auto name = r.String("name");
  if (!name.ok()) return ErrorResponse(name.status());
  if (!*name || (*name)->empty()) return ErrorResponse(InvalidArgument("name", "is required"));
  if (Status s = rules::CheckText("name", **name, kMaxMetricNameBytes); !s.ok())
    return ErrorResponse(s);
  auto value = r.Number("value", -HUGE_VAL, HUGE_VAL);
  if (!value.ok()) return ErrorResponse(value.status());
  if (!*value) return ErrorResponse(InvalidArgument("value", "is required"));
  auto step = r.Int("step", 0, INT64_MAX);
  if (!step.ok()) return ErrorResponse(step.status());
  std::optional<int64_t> s = *step;
  Result<bool> done = CallDurable(control_, [&]() -> Result<bool> {
    Status st = experiments_.PushMetric(caller, id, number, **name, **value, s);
    if (!st.ok()) return st;
    return true;
  });
  if (!done.ok()) return ErrorResponse(done.status());
  return JsonResponse(
      200, {{"name", **name}, {"value", **value}, {"step", s ? json(*s) : json(nullptr)}});
}

}  // namespace corral::api
