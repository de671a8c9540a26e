#pragma once

#include <nlohmann/json_fwd.hpp>

#include "api/api_service.h"
#include "api/control_port.h"
#include "experiments/experiment_controller.h"

namespace corral::api {

// /api/v1/experiments: create (Katib or native spec, JSON or YAML), list, describe, trials,
// metric series, stop, resume, and metrics pushed by trials.
class ExperimentsRoutes final : public SubRouter {
 public:
  ExperimentsRoutes(ControlPort& control, experiments::ExperimentController& experiments,
                    size_t max_body_bytes = 1 << 20)
      : control_(control), experiments_(experiments), max_body_bytes_(max_body_bytes) {}

  // Reached only through ApiService::Handle, whose barrier covers what this throws.
  HttpResponse Handle(const jobs::Caller& caller, const std::vector<std::string>& parts,
                      const HttpRequest& request) override;

 private:
  HttpResponse Create(const jobs::Caller& caller, const HttpRequest& request);
  HttpResponse PushMetric(const jobs::Caller& caller, ExperimentId id, int number,
                          const HttpRequest& request);

  ControlPort& control_;
  experiments::ExperimentController& experiments_;
  size_t max_body_bytes_;
};

// Wire forms (docs/experiments.md).
nlohmann::json ExperimentViewToJson(const experiments::ExperimentView& view);
nlohmann::json TrialToJson(const Trial& trial);
nlohmann::json MetricPointToJson(const MetricPoint& point);

// Parses a spec body: YAML when the content type says so or when it is not JSON.
Result<nlohmann::json> ParseSpecBody(const std::string& body, const std::string& content_type);

}  // namespace corral::api
