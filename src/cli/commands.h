#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/job_request.h"
#include "cli/output_format.h"
#include "common/clock.h"

namespace corral::cli {

// What every client command gets: the API, the standard streams, a clock for ages, and `-o`.
// Each command returns the process exit status (cli/exit_codes.h).
struct CommandContext {
  ApiClient& api;
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  const Clock& clock;
  OutputFormat format = OutputFormat::kDefault;
  EnvLookup env;
};

struct RunOptions {
  RunFlags flags;
  std::string spec_file;    // --file: submit this spec as written
  std::string script_file;  // --script: read this file ("-" for stdin) into flags.script
  bool follow = false;
};
int RunCommand(CommandContext& ctx, RunOptions options);

struct PsOptions {
  bool all = false;
  std::string states;  // comma-separated; overrides the default of non-terminal states
  std::string user;
  std::vector<std::string> labels;
  int limit = 0;  // 0: every matching job
};
int PsCommand(CommandContext& ctx, const PsOptions& options);

int DescribeCommand(CommandContext& ctx, const std::string& job_id);

struct LogsOptions {
  std::string job_id;
  bool follow = false;
  std::optional<int> replica;
  std::optional<int> attempt;
  std::optional<int64_t> tail;  // only the last N lines
};
int LogsCommand(CommandContext& ctx, const LogsOptions& options);

int CancelCommand(CommandContext& ctx, const std::vector<std::string>& job_ids);

int NodesCommand(CommandContext& ctx);
// `corral queues` lists queues with their use; with a file, replaces the configuration (admin).
int QueuesCommand(CommandContext& ctx, const std::string& set_file);

struct TopOptions {
  double interval_s = 2;
  bool once = false;
};
// `corral top`: nodes, every GPU with its job, user and utilisation, queues and running jobs,
// redrawn every interval on a terminal.
int TopCommand(CommandContext& ctx, const TopOptions& options);

int WhoamiCommand(CommandContext& ctx);
struct LoginOptions {
  std::string config_path;
};
// Checks the context's connection with GET /whoami and saves it to the config file.
int LoginCommand(CommandContext& ctx, const LoginOptions& options);
// `unix_user`: the local account the user's jobs run as ("" = the server's default mapping).
int CreateUserCommand(CommandContext& ctx, const std::string& name, bool admin,
                      const std::string& unix_user = "");
struct PasswordOptions {
  std::string user;  // empty: the caller's own password; else this user's (admin)
};
// Sets a password for browser logins (PUT /api/v1/users/{me|name}/password); ends the user's
// browser sessions.
int SetPasswordCommand(CommandContext& ctx, const PasswordOptions& options);
struct TokenOptions {
  std::string label;  // create: a name to recognise the token by later
  std::string user;   // create: for another user (admin)
  bool all = false;   // ls: every user's tokens (admin)
  std::string id;     // revoke
};
int CreateTokenCommand(CommandContext& ctx, const TokenOptions& options);
// TOKEN USER LABEL CREATED; never the secrets.
int ListTokensCommand(CommandContext& ctx, const TokenOptions& options);
int RevokeTokenCommand(CommandContext& ctx, const TokenOptions& options);

}  // namespace corral::cli
