#include "cli/notebook_commands.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/exit_codes.h"
#include "cli/output_format.h"
#include "cli/table.h"

namespace corral::cli {

using nlohmann::json;

namespace {

std::string Text(const json& v, const char* key) {
  auto it = v.find(key);
  if (it == v.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// "3 of 8 GPUs free (node-a: 1, node-b: 2)".
std::string FreeGpus(const json& nodes) {
  int free = 0, total = 0;
  std::string per_node;
  for (const json& n : nodes.value("nodes", json::array())) {
    int node_free = 0;
    for (const json& g : n.value("gpus", json::array())) {
      ++total;
      // `job` is null on another user's GPU too (hidden from non-admins); `user` is not.
      if (g.value("user", json()).is_null()) ++node_free;
    }
    free += node_free;
    if (node_free > 0)
      per_node +=
          (per_node.empty() ? "" : ", ") + Text(n, "name") + ": " + std::to_string(node_free);
  }
  std::string out = std::to_string(free) + " of " + std::to_string(total) + " GPUs free";
  if (!per_node.empty()) out += " (" + per_node + ")";
  return out;
}

void PrintNotebook(CommandContext& ctx, const json& nb) {
  switch (ctx.format) {
    case OutputFormat::kJson:
      PrintJson(ctx.out, nb);
      break;
    case OutputFormat::kYaml:
      ctx.out << JsonToYaml(nb);
      break;
    default:
      ctx.out << Text(nb, "url") << "\n";
  }
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string SelfPath(const char* argv0) {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string(argv0);
}

Result<json> FindNotebook(ApiClient& api, const std::string& name_or_id) {
  CORRAL_ASSIGN_OR_RETURN(json list, api.GetJson("/notebooks"));
  for (const json& nb : list.value("notebooks", json::array()))
    if (Text(nb, "name") == name_or_id) return nb;
  for (const json& nb : list.value("notebooks", json::array()))
    if (Text(nb, "id") == name_or_id) return nb;
  return NotFound("no active notebook named \"" + name_or_id + "\" (see `corral notebook list`)");
}

int NotebookStartCommand(CommandContext& ctx, const NotebookStartOptions& o) {
  if (auto nodes = ctx.api.GetJson("/nodes"); nodes.ok()) {
    ctx.err << FreeGpus(*nodes) << "; asking for " << o.gpus << "\n";
  }
  json body = json::object();
  if (!o.name.empty()) body["name"] = o.name;
  body["gpus"] = o.gpus;
  if (!o.environment.empty()) body["environment"] = o.environment;
  if (o.idle_timeout_s) body["idle_timeout_s"] = *o.idle_timeout_s;
  auto created = ctx.api.PostJson("/notebooks", body);
  if (!created.ok()) return ReportFailure(created.status(), ctx.api.connection(), ctx.err);
  json nb = *created;
  std::string id = Text(nb, "id");
  ctx.err << "notebook " << Text(nb, "name") << " (id " << id << ")";
  if (!o.wait) {
    ctx.err << ": " << Text(nb, "state") << "\n";
    PrintNotebook(ctx, nb);
    return kExitOk;
  }
  ctx.err << ": starting\n";
  auto started = std::chrono::steady_clock::now();
  std::string last_message;
  bool first_wait = true;
  while (Text(nb, "state") == "starting") {
    std::string message = Text(nb, "message");
    if (message != last_message && !message.empty()) ctx.err << "  " << message << "\n";
    last_message = message;
    auto waited = std::chrono::steady_clock::now() - started;
    if (waited > std::chrono::seconds(o.wait_s)) {
      ctx.err << "still starting after " << o.wait_s << " s; `corral notebook list` follows it\n";
      return kExitFailure;
    }
    // The server answers as soon as the notebook is ready, or after a while to report progress:
    // soon the first time (the scheduler's reason comes with its next pass), then every 10 s.
    auto next = ctx.api.GetJson("/notebooks/" + id + "?wait_s=" + (first_wait ? "1" : "10"));
    first_wait = false;
    if (!next.ok()) return ReportFailure(next.status(), ctx.api.connection(), ctx.err);
    nb = *next;
  }
  if (Text(nb, "state") != "ready") {
    ctx.err << "notebook " << id << " is " << Text(nb, "state") << ": " << Text(nb, "message")
            << "\n";
    return kExitFailure;
  }
  ctx.err << "ready in " << Text(nb, "start_seconds") << " s on " << Text(nb, "node") << "\n";
  PrintNotebook(ctx, nb);
  return kExitOk;
}

int NotebookListCommand(CommandContext& ctx, bool all, bool ended) {
  std::string query;
  if (all) query += "all=1";
  if (ended) query += std::string(query.empty() ? "" : "&") + "ended=1";
  auto list = ctx.api.GetJson("/notebooks" + (query.empty() ? "" : "?" + query));
  if (!list.ok()) return ReportFailure(list.status(), ctx.api.connection(), ctx.err);
  if (ctx.format == OutputFormat::kJson) {
    PrintJson(ctx.out, *list);
    return kExitOk;
  }
  if (ctx.format == OutputFormat::kYaml) {
    ctx.out << JsonToYaml(*list);
    return kExitOk;
  }
  Table table({"ID", "NAME", "STATE", "GPUS", "NODE", "LAST ACTIVITY", "URL"});
  for (const json& nb : list->value("notebooks", json::array())) {
    std::string state = Text(nb, "state");
    if (!Text(nb, "message").empty()) state += " (" + Text(nb, "message") + ")";
    table.AddRow({Text(nb, "id"), Text(nb, "name"), state, Text(nb, "gpus"), Text(nb, "node"),
                  Text(nb, "last_activity"), Text(nb, "url")});
  }
  table.Render(ctx.out);
  return kExitOk;
}

int NotebookOpenCommand(CommandContext& ctx, const std::string& name_or_id) {
  auto nb = FindNotebook(ctx.api, name_or_id);
  if (!nb.ok()) return ReportFailure(nb.status(), ctx.api.connection(), ctx.err);
  if (Text(*nb, "state") != "ready")
    ctx.err << "notebook " << Text(*nb, "name") << " is " << Text(*nb, "state") << "\n";
  PrintNotebook(ctx, *nb);
  return kExitOk;
}

int NotebookStopCommand(CommandContext& ctx, const std::string& name_or_id) {
  auto nb = FindNotebook(ctx.api, name_or_id);
  if (!nb.ok()) return ReportFailure(nb.status(), ctx.api.connection(), ctx.err);
  auto stopped = ctx.api.DeleteJson("/notebooks/" + Text(*nb, "id"));
  if (!stopped.ok()) return ReportFailure(stopped.status(), ctx.api.connection(), ctx.err);
  ctx.err << "notebook " << Text(*stopped, "name") << ": " << Text(*stopped, "state") << "\n";
  return kExitOk;
}

int SshKeyAddCommand(CommandContext& ctx, const std::string& file) {
  std::string text;
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(ctx.in), {});
  } else {
    std::ifstream in(file);
    if (!in) {
      ctx.err << "corral: cannot read " << file << "\n";
      return kExitUsage;
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto added = ctx.api.PostJson("/ssh-keys", {{"key", text}});
  if (!added.ok()) return ReportFailure(added.status(), ctx.api.connection(), ctx.err);
  ctx.out << "added SSH key " << Text(*added, "id") << "\n";
  return kExitOk;
}

int SshKeyListCommand(CommandContext& ctx) {
  auto keys = ctx.api.GetJson("/ssh-keys");
  if (!keys.ok()) return ReportFailure(keys.status(), ctx.api.connection(), ctx.err);
  if (ctx.format == OutputFormat::kJson) {
    PrintJson(ctx.out, *keys);
    return kExitOk;
  }
  Table table({"ID", "KEY", "ADDED"});
  for (const json& k : keys->value("keys", json::array())) {
    std::string key = Text(k, "key");
    if (key.size() > 60) key = key.substr(0, 30) + "..." + key.substr(key.size() - 27);
    table.AddRow({Text(k, "id"), key, Text(k, "created_at")});
  }
  table.Render(ctx.out);
  return kExitOk;
}

int SshKeyRemoveCommand(CommandContext& ctx, const std::string& id) {
  auto removed = ctx.api.DeleteJson("/ssh-keys/" + id);
  if (!removed.ok()) return ReportFailure(removed.status(), ctx.api.connection(), ctx.err);
  ctx.out << "removed SSH key " << id << "\n";
  return kExitOk;
}

int SshCommand(CommandContext& ctx, const std::string& self, const std::string& name_or_id,
               const std::vector<std::string>& ssh_args) {
  auto nb = FindNotebook(ctx.api, name_or_id);
  if (!nb.ok()) return ReportFailure(nb.status(), ctx.api.connection(), ctx.err);
  std::string id = Text(*nb, "id");
  std::string user = Text(*nb, "ssh_user");
  // The host key is made afresh with each start and the channel is the authenticated tunnel,
  // so there is nothing to pin: a known_hosts entry would only break on the next start.
  std::vector<std::string> argv = {"ssh",
                                   "-o",
                                   "ProxyCommand=" + ShellQuote(self) + " ssh-proxy " + id,
                                   "-o",
                                   "StrictHostKeyChecking=no",
                                   "-o",
                                   "UserKnownHostsFile=/dev/null",
                                   "-o",
                                   "LogLevel=ERROR"};
  if (!user.empty()) argv.insert(argv.end(), {"-l", user});
  argv.insert(argv.end(), ssh_args.begin(), ssh_args.end());
  // ssh takes the host before the remote command: put it after the options the user gave.
  size_t at = argv.size();
  for (size_t i = 9; i < argv.size(); ++i) {
    if (argv[i] == "--") {
      argv.erase(argv.begin() + static_cast<std::ptrdiff_t>(i));
      at = i;
      break;
    }
  }
  argv.insert(argv.begin() + static_cast<std::ptrdiff_t>(at), "corral-nb-" + id);
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  std::cout.flush();
  ::execvp("ssh", raw.data());
  ctx.err << "corral: cannot run ssh: " << strerror(errno) << "\n";
  return kExitFailure;
}

int SshConfigCommand(CommandContext& ctx, const std::string& self) {
  auto list = ctx.api.GetJson("/notebooks");
  if (!list.ok()) return ReportFailure(list.status(), ctx.api.connection(), ctx.err);
  for (const json& nb : list->value("notebooks", json::array())) {
    std::string name = Text(nb, "name");
    ctx.out << "Host corral-" << name << "\n"
            << "  HostName corral-nb-" << Text(nb, "id") << "\n";
    if (!Text(nb, "ssh_user").empty()) ctx.out << "  User " << Text(nb, "ssh_user") << "\n";
    ctx.out << "  ProxyCommand " << self << " ssh-proxy " << name << "\n"
            << "  StrictHostKeyChecking no\n"
            << "  UserKnownHostsFile /dev/null\n"
            << "  LogLevel ERROR\n\n";
  }
  return kExitOk;
}

int SshProxyCommand(CommandContext& ctx, const std::string& name_or_id) {
  auto nb = FindNotebook(ctx.api, name_or_id);
  if (!nb.ok()) return ReportFailure(nb.status(), ctx.api.connection(), ctx.err);
  Status s = BridgeStdioToWebSocket(ctx.api.connection().url,
                                    "/api/v1/notebooks/" + Text(*nb, "id") + "/ssh",
                                    ctx.api.connection().token);
  if (!s.ok()) {
    ctx.err << "corral ssh-proxy: " << s.message() << "\n";
    return ExitCodeForStatus(s);
  }
  return kExitOk;
}

}  // namespace corral::cli
