#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/result.h"

namespace corral::workflow {

// Checks an Argo document (Workflow, WorkflowTemplate, ClusterWorkflowTemplate) before anything
// is stored. Fields that only mean something on Kubernetes are ignored and reported as warnings
// ("spec.templates[0].nodeSelector: ignored (Kubernetes-only)"); unknown fields, templates or
// tasks that do not exist, dependency cycles and malformed expressions are invalid_argument
// naming the path ("spec.templates[2].dag.tasks[1].depends").
Result<std::vector<std::string>> CheckDocument(const nlohmann::json& doc);

// The "<Kind>/<name>" of every templateRef in `spec`'s templates (to load them from the store).
std::vector<std::pair<std::string, std::string>> TemplateRefs(const nlohmann::json& spec);

}  // namespace corral::workflow
