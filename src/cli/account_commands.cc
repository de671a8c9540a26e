#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_json.h"

namespace corral::cli {

namespace {

// Prints a reply that carries a token shown only once: the token alone on stdout (so
// `T=$(corral token create)` works), the explanation on stderr.
void PrintOnceToken(CommandContext& ctx, const nlohmann::json& reply, const std::string& note) {
  switch (ctx.format) {
    case OutputFormat::kJson:
      PrintJson(ctx.out, reply);
      return;
    case OutputFormat::kYaml:
      ctx.out << JsonToYaml(reply);
      return;
    default:
      break;
  }
  std::string token = TextField(reply, "token");
  if (token.empty()) {
    PrintJson(ctx.out, reply);
    return;
  }
  ctx.err << note << '\n';
  ctx.out << token << '\n';
}

}  // namespace

int WhoamiCommand(CommandContext& ctx) {
  auto me = ctx.api.GetJson("/whoami");
  if (!me.ok()) return ReportFailure(me.status(), ctx.api.connection(), ctx.err);
  switch (ctx.format) {
    case OutputFormat::kJson:
      PrintJson(ctx.out, *me);
      break;
    case OutputFormat::kYaml:
      ctx.out << JsonToYaml(*me);
      break;
    default:
      ctx.out << fmt::format("{} ({}) at {}\n", TextField(*me, "name", "?"),
                             TextField(*me, "role", "?"), ctx.api.connection().url);
      break;
  }
  return kExitOk;
}

int LoginCommand(CommandContext& ctx, const LoginOptions& options) {
  const Connection& connection = ctx.api.connection();
  if (connection.token.empty()) {
    ctx.err << "corral: no token given; `corral login --url URL --token TOKEN`\n";
    return kExitUsage;
  }
  auto me = ctx.api.GetJson("/whoami");
  if (!me.ok()) {
    if (me.status().code() == StatusCode::kUnauthenticated) {
      ctx.err << fmt::format("corral: the server at {} rejected this token (401); nothing saved\n",
                             connection.url);
      return kExitAuth;
    }
    return ReportFailure(me.status(), connection, ctx.err);
  }
  Status saved = SaveConfigFile(options.config_path, {connection.url, connection.token});
  if (!saved.ok()) return ReportFailure(saved, connection, ctx.err);
  if (ctx.format == OutputFormat::kJson) {
    PrintJson(ctx.out, {{"url", connection.url}, {"user", *me}, {"config", options.config_path}});
    return kExitOk;
  }
  ctx.out << fmt::format("Logged in to {} as {} ({}); saved to {}\n", connection.url,
                         TextField(*me, "name", "?"), TextField(*me, "role", "?"),
                         options.config_path);
  return kExitOk;
}

int CreateUserCommand(CommandContext& ctx, const std::string& name, bool admin) {
  auto reply = ctx.api.PostJson("/users", {{"name", name}, {"role", admin ? "admin" : "user"}});
  if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
  const auto& user = Member(*reply, "user");
  PrintOnceToken(ctx, *reply,
                 fmt::format("Created user {} ({}). Their API token, shown only this once:",
                             TextField(user, "name", name),
                             TextField(user, "role", admin ? "admin" : "user")));
  return kExitOk;
}

int CreateTokenCommand(CommandContext& ctx) {
  auto reply = ctx.api.PostJson("/tokens", nlohmann::json::object());
  if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
  PrintOnceToken(ctx, *reply, "A new API token for you, shown only this once:");
  return kExitOk;
}

}  // namespace corral::cli
