#include "cli/job_exit_status.h"

#include "cli/job_json.h"

namespace corral::cli {

namespace {
constexpr int kExitCancelled = 130;
constexpr int kExitFailedOtherwise = 1;

std::optional<int> SmallInt(const nlohmann::json& object, std::string_view key) {
  auto value = IntField(object, key);
  if (!value) return std::nullopt;
  return static_cast<int>(*value);
}
}  // namespace

JobOutcome OutcomeFromJob(const nlohmann::json& job) {
  JobOutcome outcome;
  outcome.state = TextField(job, "state");
  outcome.exit_code = SmallInt(job, "exit_code");
  if (outcome.exit_code.value_or(0) != 0) return outcome;
  const auto& attempts = Member(job, "attempts");
  if (!attempts.is_array() || attempts.empty()) return outcome;
  // Attempts are listed in order; the latest one decides.
  const auto& latest = attempts.back();
  if (!outcome.exit_code) outcome.exit_code = SmallInt(latest, "exit_code");
  if (outcome.exit_code.value_or(0) != 0) return outcome;
  const auto& replicas = Member(latest, "replicas");
  if (!replicas.is_array()) return outcome;
  for (const auto& replica : replicas) {
    auto code = SmallInt(replica, "exit_code");
    if (code.value_or(0) != 0) {
      outcome.exit_code = code;
      return outcome;
    }
  }
  for (const auto& replica : replicas) {
    if (auto signal = SmallInt(replica, "signal"); signal.value_or(0) > 0) {
      outcome.signal = signal;
      return outcome;
    }
  }
  return outcome;
}

JobOutcome OutcomeFromEndEvent(const nlohmann::json& data) {
  JobOutcome outcome;
  outcome.state = TextField(data, "state");
  outcome.exit_code = SmallInt(data, "exit_code");
  outcome.signal = SmallInt(data, "signal");
  return outcome;
}

int JobExitStatus(const JobOutcome& outcome) {
  if (outcome.state == "succeeded") return 0;
  if (outcome.state == "cancelled") return kExitCancelled;
  if (outcome.exit_code && *outcome.exit_code != 0) {
    int code = *outcome.exit_code & 0xFF;
    return code == 0 ? kExitFailedOtherwise : code;
  }
  if (outcome.signal && *outcome.signal > 0 && *outcome.signal < 128) {
    return 128 + *outcome.signal;
  }
  return kExitFailedOtherwise;
}

}  // namespace corral::cli
