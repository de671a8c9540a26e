#include "cli/exit_codes.h"

#include <fmt/core.h>

namespace corral::cli {

int ExitCodeForStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kUnavailable:
      return kExitUnreachable;
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return kExitAuth;
    default:
      return kExitFailure;
  }
}

namespace {

std::string Describe(const Status& status, const Connection& connection) {
  switch (status.code()) {
    case StatusCode::kUnauthenticated:
      if (connection.token.empty()) {
        return fmt::format(
            "no API token for {}; run `corral login --url {} --token TOKEN` or set CORRAL_TOKEN",
            connection.url, connection.url);
      }
      return fmt::format(
          "the server rejected the token (401); run `corral login` (the token came "
          "from {})",
          connection.token_source.empty() ? "--token" : connection.token_source);
    case StatusCode::kPermissionDenied:
      return fmt::format("permission denied (403): {}", status.message());
    case StatusCode::kInfeasible:
      return fmt::format("this request can never be satisfied by the cluster: {}",
                         status.message());
    default:
      break;
  }
  std::string line = status.message();
  // The server usually names the field in its message already; add it only when it does not.
  if (!status.field().empty() && line.find(status.field()) == std::string::npos) {
    line = fmt::format("{}: {}", status.field(), line);
  }
  return line;
}

}  // namespace

int ReportFailure(const Status& status, const Connection& connection, std::ostream& err) {
  err << "corral: " << Describe(status, connection) << '\n';
  return ExitCodeForStatus(status);
}

}  // namespace corral::cli
