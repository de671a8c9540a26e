#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/job_json.h"
#include "cli/table.h"
#include "cli/time_format.h"

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

int CreateUserCommand(CommandContext& ctx, const std::string& name, bool admin,
                      const std::string& unix_user) {
  nlohmann::json body = {{"name", name}, {"role", admin ? "admin" : "user"}};
  if (!unix_user.empty()) body["unix_user"] = unix_user;
  auto reply = ctx.api.PostJson("/users", body);
  if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
  const auto& user = Member(*reply, "user");
  PrintOnceToken(ctx, *reply,
                 fmt::format("Created user {} ({}). Their API token, shown only this once:",
                             TextField(user, "name", name),
                             TextField(user, "role", admin ? "admin" : "user")));
  return kExitOk;
}

int CreateTokenCommand(CommandContext& ctx, const TokenOptions& options) {
  nlohmann::json body = nlohmann::json::object();
  if (!options.label.empty()) body["label"] = options.label;
  if (!options.user.empty()) body["user"] = options.user;
  auto reply = ctx.api.PostJson("/tokens", body);
  if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
  PrintOnceToken(
      ctx, *reply,
      fmt::format("A new API token for {} (id {}), shown only this once:",
                  options.user.empty() ? "you" : options.user, reply->value("id", int64_t{0})));
  return kExitOk;
}

int ListTokensCommand(CommandContext& ctx, const TokenOptions& options) {
  auto reply = ctx.api.GetJson(options.all ? "/tokens?all=true" : "/tokens");
  if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
  if (ctx.format == OutputFormat::kJson) {
    PrintJson(ctx.out, *reply);
    return kExitOk;
  }
  if (ctx.format == OutputFormat::kYaml) {
    ctx.out << JsonToYaml(*reply);
    return kExitOk;
  }
  Table table({"TOKEN", "USER", "LABEL", "CREATED"});
  const TimePoint now = ctx.clock.Now();
  for (const auto& t : Member(*reply, "tokens")) {
    auto created = ParseTimestamp(TextField(t, "created_at"));
    table.AddRow({std::to_string(t.value("id", int64_t{0})), TextField(t, "user"),
                  TextField(t, "label"), created.ok() ? FormatAge(*created, now) + " ago" : "-"});
  }
  table.Render(ctx.out);
  return kExitOk;
}

int RevokeTokenCommand(CommandContext& ctx, const TokenOptions& options) {
  auto reply = ctx.api.DeleteJson("/tokens/" + options.id);
  if (!reply.ok()) return ReportFailure(reply.status(), ctx.api.connection(), ctx.err);
  ctx.out << fmt::format("revoked token {} of {} ({})\n", reply->value("id", int64_t{0}),
                         TextField(*reply, "user"), TextField(*reply, "label"));
  return kExitOk;
}

}  // namespace corral::cli
