#include <unistd.h>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_json.h"
#include "cli/terminal_input.h"

namespace corral::cli {

// Reads the new password: twice with echo off on a terminal (a typo cannot lock anyone out),
// once from a pipe (`printf '%s\n' "$P" | corral passwd`).
int SetPasswordCommand(CommandContext& ctx, const PasswordOptions& options) {
  const bool interactive = ::isatty(STDIN_FILENO) == 1;
  const std::string whose = options.user.empty() ? "your" : options.user + "'s";
  std::string password =
      ReadSecretLine("New password for " + whose + " account: ", ctx.in, ctx.err);
  if (password.empty()) {
    ctx.err << "corral: no password given; nothing changed\n";
    return kExitUsage;
  }
  if (interactive && ReadSecretLine("Again: ", ctx.in, ctx.err) != password) {
    ctx.err << "corral: the passwords differ; nothing changed\n";
    return kExitUsage;
  }
  const std::string path =
      "/users/" + (options.user.empty() ? std::string("me") : options.user) + "/password";
  auto reply =
      ctx.api.PutRaw(path, nlohmann::json{{"password", password}}.dump(), "application/json");
  if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
  if (ctx.format == OutputFormat::kJson) {
    PrintJson(ctx.out, *reply);
    return kExitOk;
  }
  ctx.out << fmt::format("Password of {} set; {} browser session(s) ended\n",
                         TextField(*reply, "name", options.user),
                         reply->value("sessions_revoked", int64_t{0}));
  return kExitOk;
}

}  // namespace corral::cli
