#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace corral::cli {

// What `corral workflow get|graph|submit` show and send, kept free of I/O so it can be tested
// with hand-built workflows (the GET /workflows/<id> shape of docs/api.md).

// One mark per node phase, as `argo get` draws them: ✔ Succeeded, ✖ Failed, ⚠ Error, ● Running,
// ◷ Pending, ○ Skipped/Omitted.
std::string PhaseMark(std::string_view phase);

// How long something ran: finished - started, or now - started while it still runs; "" when it
// has not started.
std::string ElapsedText(const nlohmann::json& object, TimePoint now);

// The header of `corral workflow get`: name, id, phase, times, progress, outputs.
std::string RenderWorkflowSummary(const nlohmann::json& workflow, TimePoint now);

// The node tree of `corral workflow get`: one line per node under its parent, each node once
// (a DAG task reached from several parents is drawn under the first), with template, phase,
// duration, job and message columns. Roots are the nodes no other node lists as a child, the
// workflow's own node first (exit handlers come after it).
std::string RenderNodeTree(const nlohmann::json& workflow, TimePoint now);

// The node graph as Graphviz DOT: a node per workflow node (label: display name and phase,
// filled by phase) and an edge per parent -> child link.
std::string WorkflowDot(const nlohmann::json& workflow);

// The graph of a workflow spec before it runs: one cluster per DAG or Steps template, a node per
// task or step (labelled with its template; loops marked), edges from `depends`/`dependencies`
// and from each steps group to the next.
std::string SpecDot(const nlohmann::json& document);

// Sets `spec.arguments.parameters[name].value` for each "name=value" (appending parameters the
// spec does not declare, as `argo submit -p` does). A word without '=' is an error naming it.
Status ApplyParameterOverrides(nlohmann::json& document, const std::vector<std::string>& pairs);

// The documents a Python pipeline printed with CORRAL_WORKFLOW_EMIT=1: every stdout line that
// is a JSON object with a `kind` (Workflow, WorkflowTemplate, ClusterWorkflowTemplate), in
// order; other lines (the pipeline's own prints) are ignored. None at all is an error.
Result<std::vector<nlohmann::json>> ParseEmittedDocuments(std::string_view stdout_text);

// A YAML document as JSON: quoted scalars stay strings, plain ones become numbers, booleans or
// null where YAML 1.2's core schema reads them so. An error carries the line.
Result<nlohmann::json> YamlToJson(std::string_view text);

// Whether a workflow phase is final.
bool WorkflowFinished(const nlohmann::json& workflow);

}  // namespace corral::cli
