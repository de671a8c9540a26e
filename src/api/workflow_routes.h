#pragma once

#include <nlohmann/json_fwd.hpp>

#include "api/api_service.h"
#include "api/control_port.h"
#include "jobs/job_controller.h"
#include "workflow_runner/workflow_controller.h"

namespace corral::api {

// /api/v1/workflows (submit Argo Workflows, list, describe with nodes, logs, stop, terminate,
// suspend, resume, retry, resubmit, delete) and /api/v1/workflow-templates (WorkflowTemplates
// and ClusterWorkflowTemplates for templateRef). Mounted under both names (docs/workflows.md).
class WorkflowRoutes final : public SubRouter {
 public:
  WorkflowRoutes(ControlPort& control, workflow_runner::WorkflowController& workflows,
                 jobs::JobController& jobs, size_t max_body_bytes = 1 << 20)
      : control_(control), workflows_(workflows), jobs_(jobs), max_body_bytes_(max_body_bytes) {}

  // Reached only through ApiService::Handle, whose barrier covers what this throws.
  HttpResponse Handle(const jobs::Caller& caller, const std::vector<std::string>& parts,
                      const HttpRequest& request) override;

 private:
  HttpResponse Workflows(const jobs::Caller& caller, const std::vector<std::string>& parts,
                         const HttpRequest& request);
  HttpResponse Templates(const jobs::Caller& caller, const std::vector<std::string>& parts,
                         const HttpRequest& request);
  HttpResponse Create(const jobs::Caller& caller, const HttpRequest& request);
  HttpResponse Logs(const jobs::Caller& caller, int64_t id, const HttpRequest& request);

  ControlPort& control_;
  workflow_runner::WorkflowController& workflows_;
  jobs::JobController& jobs_;
  size_t max_body_bytes_;
};

nlohmann::json WorkflowSummaryToJson(const workflow_runner::WorkflowView& view);
nlohmann::json WorkflowViewToJson(const workflow_runner::WorkflowView& view);
// The same document as text, written node by node (no JSON tree of every node at once).
std::string WorkflowViewBody(const workflow_runner::WorkflowView& view);

}  // namespace corral::api
