#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/ids.h"

namespace corral {

// One workflow run as stored. The spec and the engine's workflow-level state are JSON text owned
// by workflow/; the nodes are stored one row each (WorkflowNodeRow) so that a change to one step
// rewrites one small row, not the whole run.
struct WorkflowRow {
  int64_t id = 0;
  std::string name;
  UserId owner;
  std::string phase;  // "Pending", "Running", "Succeeded", "Failed", "Error"
  std::string message;
  std::string spec;   // the submitted spec, resolved (JSON)
  std::string state;  // engine state beside the nodes (JSON)
  TimePoint created_at;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;  // set once the run is over: "active" means unset
};

// One node of a run: its full name (unique within the run) and its engine record (JSON).
struct WorkflowNodeRow {
  std::string name;
  std::string data;
};

// A stored WorkflowTemplate or ClusterWorkflowTemplate, referenced by templateRef.
struct WorkflowTemplateRow {
  std::string kind;  // "WorkflowTemplate" or "ClusterWorkflowTemplate"
  std::string name;
  UserId owner;
  std::string spec;  // the whole document (JSON)
  TimePoint created_at;
};

}  // namespace corral
