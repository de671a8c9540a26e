#include <nlohmann/json.hpp>

#include "exec/local/records.h"

namespace corral::exec {
namespace {

template <class T>
Status Read(const nlohmann::json& j, const char* field, T& out) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer()) {
    return InvalidArgument(field, std::string("missing or not an integer: ") + field);
  }
  out = it->get<T>();
  return Status::Ok();
}

Result<nlohmann::json> ParseObject(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("", "not a JSON object");
  return j;
}

}  // namespace

Result<ShimRecord> ParseShimRecord(std::string_view json) {
  CORRAL_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(json));
  ShimRecord r;
  CORRAL_RETURN_IF_ERROR(Read(j, "shim_pid", r.shim_pid));
  CORRAL_RETURN_IF_ERROR(Read(j, "shim_start_ticks", r.shim_start_ticks));
  CORRAL_RETURN_IF_ERROR(Read(j, "child_pid", r.child_pid));
  CORRAL_RETURN_IF_ERROR(Read(j, "child_pgid", r.child_pgid));
  CORRAL_RETURN_IF_ERROR(Read(j, "child_start_ticks", r.child_start_ticks));
  CORRAL_RETURN_IF_ERROR(Read(j, "start_ms", r.start_ms));
  return r;
}

Result<ExitRecord> ParseExitRecord(std::string_view json) {
  CORRAL_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(json));
  ExitRecord r;
  if (j.contains("exit_code")) {
    int code = 0;
    CORRAL_RETURN_IF_ERROR(Read(j, "exit_code", code));
    r.exit_code = code;
  }
  if (j.contains("signal")) {
    int sig = 0;
    CORRAL_RETURN_IF_ERROR(Read(j, "signal", sig));
    r.term_signal = sig;
  }
  if (!r.exit_code && !r.term_signal) {
    return InvalidArgument("exit_code", "neither exit_code nor signal is set");
  }
  CORRAL_RETURN_IF_ERROR(Read(j, "start_ms", r.start_ms));
  CORRAL_RETURN_IF_ERROR(Read(j, "end_ms", r.end_ms));
  auto timed_out = j.find("timed_out");
  if (timed_out == j.end() || !timed_out->is_boolean()) {
    return InvalidArgument("timed_out", "missing or not a boolean: timed_out");
  }
  r.timed_out = timed_out->get<bool>();
  if (auto err = j.find("launch_error"); err != j.end()) {
    if (!err->is_string()) return InvalidArgument("launch_error", "not a string: launch_error");
    r.launch_error = err->get<std::string>();
  }
  // Absent in records written before the log cap and process containment existed.
  if (auto t = j.find("log_truncated"); t != j.end()) {
    if (!t->is_boolean()) return InvalidArgument("log_truncated", "not a boolean: log_truncated");
    r.log_truncated = t->get<bool>();
  }
  if (auto c = j.find("containment"); c != j.end()) {
    if (!c->is_string()) return InvalidArgument("containment", "not a string: containment");
    r.containment = c->get<std::string>();
  }
  return r;
}

}  // namespace corral::exec
