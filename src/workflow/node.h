#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace corral::workflow {

enum class NodeType {
  kPod,
  kContainer,
  kSteps,
  kStepGroup,
  kDAG,
  kTaskGroup,
  kRetry,
  kSkipped,
  kSuspend
};
enum class NodePhase { kPending, kRunning, kSucceeded, kFailed, kError, kSkipped, kOmitted };

std::string_view NodeTypeName(NodeType t);
std::string_view NodePhaseName(NodePhase p);
std::optional<NodeType> ParseNodeType(std::string_view s);
std::optional<NodePhase> ParseNodePhase(std::string_view s);
// Succeeded, Failed, Error, Skipped or Omitted: the node will not change any more.
inline bool IsDone(NodePhase p) { return p != NodePhase::kPending && p != NodePhase::kRunning; }
inline bool IsFailure(NodePhase p) { return p == NodePhase::kFailed || p == NodePhase::kError; }

struct NamedValue {
  std::string name;
  std::string value;
  friend bool operator==(const NamedValue&, const NamedValue&) = default;
};

// An artifact a node produced: its name and its key in the artifact store.
struct NodeArtifact {
  std::string name;
  std::string key;
  friend bool operator==(const NodeArtifact&, const NodeArtifact&) = default;
};

// One node of a run, as Argo's status.nodes has it. Kept small: a 10,000-node run lives in memory.
struct Node {
  std::string id;            // stable for the run: "<workflow>-<hash of name>"
  std::string name;          // full path: "<workflow>[0].step(1:item)"
  std::string display_name;  // last part: "step(1:item)"
  NodeType type = NodeType::kPod;
  std::string template_name;
  NodePhase phase = NodePhase::kPending;
  std::string message;
  std::string boundary_id;
  std::vector<std::string> children;  // node ids, in the order they were made
  // Where this node hangs: it is stored with the child (not in the parent's `children`), so
  // adding a child to a 10,000-wide loop does not rewrite the parent's row.
  std::string parent_id;
  int child_index = -1;
  std::vector<NamedValue> inputs;
  std::optional<std::string> result;
  std::optional<int> exit_code;
  std::vector<NamedValue> outputs;
  std::vector<NodeArtifact> artifacts;
  std::optional<int64_t> job_id;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
  int item_index = -1;               // position in its loop, for aggregation order
  std::optional<TimePoint> wake_at;  // retry back-off or suspend duration ends
  bool hook = false;                 // an exit handler's node
  bool memoized = false;             // outputs came from the memoization cache
};

nlohmann::json NodeToJson(const Node& n);  // the stored form (compact keys)
Result<Node> NodeFromJson(const nlohmann::json& j);

// Argo's node id: the workflow name and a 32-bit FNV-1a hash of the node's name.
std::string NodeIdFor(const std::string& workflow, const std::string& node_name);

}  // namespace corral::workflow
