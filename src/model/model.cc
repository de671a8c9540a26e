#include <array>
#include <utility>

#include "model/job.h"
#include "model/priority.h"
#include "model/user.h"

namespace corral {
namespace {
constexpr std::array<std::pair<PriorityClass, std::string_view>, 4> kPriorities{{
    {PriorityClass::kOpportunistic, "opportunistic"},
    {PriorityClass::kNormal, "normal"},
    {PriorityClass::kHigh, "high"},
    {PriorityClass::kInteractive, "interactive"},
}};
constexpr std::array<std::pair<JobState, std::string_view>, 7> kStates{{
    {JobState::kPending, "pending"},
    {JobState::kStarting, "starting"},
    {JobState::kRunning, "running"},
    {JobState::kSucceeded, "succeeded"},
    {JobState::kFailed, "failed"},
    {JobState::kCancelled, "cancelled"},
    {JobState::kPreempted, "preempted"},
}};
constexpr std::array<std::pair<ParentKind, std::string_view>, 4> kParentKinds{{
    {ParentKind::kExperiment, "experiment"},
    {ParentKind::kWorkflow, "workflow"},
    {ParentKind::kNotebook, "notebook"},
    {ParentKind::kTraining, "training"},
}};
}  // namespace

std::string_view ParentKindName(ParentKind k) {
  for (auto& [kind, name] : kParentKinds)
    if (kind == k) return name;
  return "unknown";
}
std::optional<ParentKind> ParseParentKind(std::string_view name) {
  for (auto& [kind, text] : kParentKinds)
    if (text == name) return kind;
  return std::nullopt;
}

std::string_view PriorityClassName(PriorityClass p) {
  for (auto& [k, v] : kPriorities)
    if (k == p) return v;
  return "unknown";
}
std::optional<PriorityClass> ParsePriorityClass(std::string_view name) {
  for (auto& [k, v] : kPriorities)
    if (v == name) return k;
  return std::nullopt;
}
std::string_view RoleName(Role role) { return role == Role::kAdmin ? "admin" : "user"; }

std::string_view JobStateName(JobState s) {
  for (auto& [k, v] : kStates)
    if (k == s) return v;
  return "unknown";
}
std::string_view ReplicaStateName(ReplicaState s) {
  switch (s) {
    case ReplicaState::kStarting:
      return "starting";
    case ReplicaState::kRunning:
      return "running";
    case ReplicaState::kExited:
      return "exited";
  }
  return "unknown";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (auto& [k, v] : kStates)
    if (v == name) return k;
  return std::nullopt;
}

}  // namespace corral
