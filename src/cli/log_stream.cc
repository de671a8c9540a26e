#include "cli/log_stream.h"

namespace corral::cli {

std::string JobLogsPath(const std::string& job_id, std::optional<int> replica,
                        std::optional<int> attempt, bool follow, std::optional<int64_t> tail) {
  QueryParams params;
  if (tail) params.emplace_back("tail", std::to_string(*tail));
  if (replica) params.emplace_back("replica", std::to_string(*replica));
  if (attempt) params.emplace_back("attempt", std::to_string(*attempt));
  if (follow) params.emplace_back("follow", "true");
  return "/jobs/" + PercentEncode(job_id) + "/logs" + BuildQuery(params);
}

Result<std::optional<JobOutcome>> FollowJobLogs(ApiClient& api, const std::string& job_id,
                                                std::optional<int> replica,
                                                std::optional<int> attempt, std::ostream& out,
                                                std::optional<int64_t> tail) {
  std::optional<JobOutcome> outcome;
  Status status = api.FollowEvents(
      JobLogsPath(job_id, replica, attempt, /*follow=*/true, tail), [&](const SseEvent& event) {
        if (event.type == "log" || event.type == "message") {
          out << event.data << '\n';
          out.flush();
          return true;
        }
        if (event.type == "end") {
          nlohmann::json data =
              nlohmann::json::parse(event.data, nullptr, /*allow_exceptions=*/false);
          outcome = OutcomeFromEndEvent(data.is_object() ? data : nlohmann::json::object());
          return false;
        }
        return true;  // event kinds this client does not know yet
      });
  if (!status.ok()) return status;
  return outcome;
}

}  // namespace corral::cli
