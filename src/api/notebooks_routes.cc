#include "api/notebooks_routes.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <sstream>

#include "api/authenticator.h"
#include "api/error_response.h"
#include "api/json_reader.h"
#include "api/json_response.h"
#include "model/field_rules.h"
#include "notebook/notebook_state.h"

namespace corral::api {

using nlohmann::json;

namespace {

constexpr int kMostWaiting = 8;
constexpr int64_t kLongestWaitS = 60;
constexpr size_t kMaxKeyBytes = 16 * 1024;
constexpr size_t kMaxKeysPerUser = 100;

HttpResponse MethodNotAllowed(const HttpRequest& r) {
  return ErrorResponse(
      InvalidArgument("method", "method " + r.method + " is not allowed on " + r.path));
}

std::optional<int64_t> ParseId(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

json TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? json(FormatRfc3339(*t)) : json(nullptr);
}

std::string OriginOf(const HttpRequest& r) {
  std::string host = r.Header("host");
  if (host.empty()) return "";
  return (CameOverHttps(r) ? "https://" : "http://") + host;
}

bool IsBase64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '=') {
      ++pad;
      if (i + 2 < s.size()) return false;
    } else if (pad > 0 || !(alnum || c == '+' || c == '/')) {
      return false;
    }
  }
  return pad <= 2;
}

}  // namespace

Result<std::string> CheckSshPublicKey(const std::string& field, const std::string& text) {
  // A pasted key usually ends with a newline; one line it must still be.
  size_t begin = text.find_first_not_of(" \t\r\n");
  size_t end = text.find_last_not_of(" \t\r\n");
  std::string line = begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
  if (line.empty() || line.size() > kMaxKeyBytes)
    return InvalidArgument(field, "must be one public key line of at most 16 KiB");
  for (unsigned char c : line) {
    if (c < 0x20 || c == 0x7f)
      return InvalidArgument(field, "a public key is one line without control characters");
  }
  if (rules::HasControlCharacter(line))
    return InvalidArgument(field, "a public key is one line without control characters");
  std::istringstream in(line);
  std::string type, blob, word, comment;
  in >> type >> blob;
  while (in >> word) comment += (comment.empty() ? "" : " ") + word;
  static const char* kTypes[] = {"ssh-ed25519",
                                 "ssh-rsa",
                                 "ecdsa-sha2-nistp256",
                                 "ecdsa-sha2-nistp384",
                                 "ecdsa-sha2-nistp521",
                                 "sk-ssh-ed25519@openssh.com",
                                 "sk-ecdsa-sha2-nistp256@openssh.com"};
  bool known = false;
  for (const char* t : kTypes) known = known || type == t;
  if (!known)
    return InvalidArgument(field,
                           "must start with the key type (ssh-ed25519, ssh-rsa, "
                           "ecdsa-sha2-*); authorized_keys options are not accepted");
  if (!IsBase64(blob)) return InvalidArgument(field, "the key's data is not base64");
  return comment.empty() ? type + " " + blob : type + " " + blob + " " + comment;
}

json NotebookViewToJson(const notebook::NotebookView& v, const std::string& origin) {
  const Notebook& n = v.notebook;
  std::string path = "/nb/" + std::to_string(n.id.value) + "/";
  json start_s = nullptr;
  if (n.ready_at) start_s = static_cast<double>((*n.ready_at - n.created_at).count()) / 1000.0;
  return {{"id", n.id.value},
          {"name", n.name},
          {"owner", n.owner_name},
          {"state", n.state},
          {"message", n.message},
          {"gpus", n.gpus},
          {"environment", n.environment},
          {"node", v.node},
          {"job", n.job.valid() ? json(n.job.value) : json(nullptr)},
          {"job_state", v.job_state},
          {"ssh_user", v.ssh_user},
          {"path", path},
          {"url", origin + path},
          {"idle_timeout_s",
           n.idle_timeout.count() > 0 ? json(n.idle_timeout.count() / 1000.0) : json(nullptr)},
          {"last_activity", TimeOrNull(v.last_activity)},
          {"created_at", FormatRfc3339(n.created_at)},
          {"ready_at", TimeOrNull(n.ready_at)},
          {"ended_at", TimeOrNull(n.ended_at)},
          {"start_seconds", start_s}};
}

HttpResponse NotebooksRoutes::Handle(const jobs::Caller& caller,
                                     const std::vector<std::string>& parts,
                                     const HttpRequest& request) {
  if (parts[0] == "ssh-keys") return SshKeys(caller, parts, request);
  if (parts[0] == "environments") return Environments(caller, parts, request);
  return Notebooks(caller, parts, request);
}

HttpResponse NotebooksRoutes::Notebooks(const jobs::Caller& caller,
                                        const std::vector<std::string>& parts,
                                        const HttpRequest& request) {
  const std::string& m = request.method;
  std::string origin = OriginOf(request);
  if (parts.size() == 1) {
    if (m == "POST") return Create(caller, request);
    if (m != "GET") return MethodNotAllowed(request);
    bool all = false, active_only = true;
    for (const auto& [key, value] : request.query) {
      if (key == "all" && (value == "1" || value == "true")) {
        all = true;
      } else if (key == "ended" && (value == "1" || value == "true")) {
        active_only = false;
      } else {
        return ErrorResponse(InvalidArgument(key, "unknown query parameter or value"));
      }
    }
    auto list = CallOnControl(control_, [&] { return notebooks_.List(caller, all, active_only); });
    if (!list.ok()) return ErrorResponse(list.status());
    json items = json::array();
    for (const auto& v : *list) items.push_back(NotebookViewToJson(v, origin));
    return JsonResponse(200, {{"notebooks", items}});
  }
  auto raw_id = ParseId(parts[1]);
  if (!raw_id) return ErrorResponse(NotFound("notebook '" + parts[1] + "' not found"));
  NotebookId id(*raw_id);
  if (parts.size() == 2) {
    if (m == "DELETE") {
      auto v = CallDurable(control_, [&] { return notebooks_.Stop(caller, id); });
      if (!v.ok()) return ErrorResponse(v.status());
      return JsonResponse(200, NotebookViewToJson(*v, origin));
    }
    if (m != "GET") return MethodNotAllowed(request);
    int64_t wait_s = 0;
    for (const auto& [key, value] : request.query) {
      auto n = ParseId(value);
      if (key != "wait_s" || !n || *n > kLongestWaitS)
        return ErrorResponse(
            InvalidArgument(key, key == "wait_s" ? "must be a whole number of seconds from 1 to 60"
                                                 : "unknown query parameter"));
      wait_s = *n;
    }
    // Waiting needs the caller to see the notebook first: ask once, then wait, then ask again.
    auto v = CallOnControl(control_, [&] { return notebooks_.Get(caller, id); });
    if (v.ok() && wait_s > 0 && v->notebook.state == notebook::kStarting) {
      if (waiting_.fetch_add(1) < kMostWaiting) {
        notebooks_.directory().WaitUntilSettled(id, std::chrono::seconds(wait_s));
        v = CallOnControl(control_, [&] { return notebooks_.Get(caller, id); });
      }
      waiting_.fetch_sub(1);
    }
    if (!v.ok()) return ErrorResponse(v.status());
    return JsonResponse(200, NotebookViewToJson(*v, origin));
  }
  if (parts.size() == 3 && parts[2] == "stop") {
    if (m != "POST") return MethodNotAllowed(request);
    auto v = CallDurable(control_, [&] { return notebooks_.Stop(caller, id); });
    if (!v.ok()) return ErrorResponse(v.status());
    return JsonResponse(200, NotebookViewToJson(*v, origin));
  }
  if (parts.size() == 3 && parts[2] == "ssh") {
    if (m != "GET") return MethodNotAllowed(request);
    return SshTunnel(caller, id);
  }
  return ErrorResponse(NotFound("no route for " + request.path));
}

HttpResponse NotebooksRoutes::Create(const jobs::Caller& caller, const HttpRequest& request) {
  auto body = ParseBody(request.body.empty() ? "{}" : request.body, request.Header("content-type"),
                        {max_body_bytes_});
  if (!body.ok()) return ErrorResponse(body.status());
  JsonObjectReader r(*body, "");
  if (Status s = r.Check({"name", "gpus", "environment", "env", "idle_timeout_s"}); !s.ok())
    return ErrorResponse(s);
  notebook::NotebookRequest req;
  auto name = r.String("name");
  if (!name.ok()) return ErrorResponse(name.status());
  req.name = name->value_or("");
  auto gpus = r.Int("gpus", 0, 1024);
  if (!gpus.ok()) return ErrorResponse(gpus.status());
  req.gpus = static_cast<int>(gpus->value_or(0));
  for (const char* key : {"environment", "env"}) {
    auto env = r.String(key);
    if (!env.ok()) return ErrorResponse(env.status());
    if (*env) req.environment = **env;
  }
  auto idle = r.Number("idle_timeout_s", 1, 365.0 * 86400);
  if (!idle.ok()) return ErrorResponse(idle.status());
  if (*idle) req.idle_timeout = Duration(static_cast<int64_t>(**idle * 1000));
  auto v = CallDurable(control_, [&] { return notebooks_.Create(caller, std::move(req)); });
  if (!v.ok()) return ErrorResponse(v.status());
  return JsonResponse(201, NotebookViewToJson(*v, OriginOf(request)));
}

HttpResponse NotebooksRoutes::SshTunnel(const jobs::Caller& caller, NotebookId id) {
  auto route = notebooks_.directory().Find(id);
  // Only the owner: admins get no shell in other people's notebooks by default.
  if (!route || route->owner != caller.id)
    return ErrorResponse(NotFound("notebook " + std::to_string(id.value) + " not found"));
  if (route->state != notebook::kReady || route->ssh_port == 0)
    return ErrorResponse(Status(StatusCode::kUnavailable,
                                "notebook " + std::to_string(id.value) + " is " + route->state));
  HttpResponse r;
  r.websocket_tunnel = TcpTunnelTarget{"127.0.0.1", static_cast<uint16_t>(route->ssh_port)};
  return r;
}

HttpResponse NotebooksRoutes::SshKeys(const jobs::Caller& caller,
                                      const std::vector<std::string>& parts,
                                      const HttpRequest& request) {
  const std::string& m = request.method;
  if (parts.size() == 1 && m == "GET") {
    auto keys = CallOnControl(control_, [&] { return notebooks_.SshKeys(caller.id); });
    if (!keys.ok()) return ErrorResponse(keys.status());
    json items = json::array();
    for (const SshKey& k : *keys)
      items.push_back({{"id", k.id}, {"key", k.key}, {"created_at", FormatRfc3339(k.created_at)}});
    return JsonResponse(200, {{"keys", items}});
  }
  if (parts.size() == 1 && m == "POST") {
    auto body = ParseBody(request.body, request.Header("content-type"), {max_body_bytes_});
    if (!body.ok()) return ErrorResponse(body.status());
    JsonObjectReader r(*body, "");
    if (Status s = r.Check({"key"}); !s.ok()) return ErrorResponse(s);
    auto line = r.String("key");
    if (!line.ok()) return ErrorResponse(line.status());
    if (!*line) return ErrorResponse(InvalidArgument("key", "is required"));
    auto key = CheckSshPublicKey("key", **line);
    if (!key.ok()) return ErrorResponse(key.status());
    auto added = CallDurable(control_, [&]() -> Result<SshKey> {
      CORRAL_ASSIGN_OR_RETURN(auto existing, notebooks_.SshKeys(caller.id));
      if (existing.size() >= kMaxKeysPerUser)
        return Status(StatusCode::kResourceExhausted, "at most 100 SSH keys per user");
      return notebooks_.AddSshKey(caller.id, *key);
    });
    if (!added.ok()) return ErrorResponse(added.status());
    return JsonResponse(
        201,
        {{"id", added->id}, {"key", added->key}, {"created_at", FormatRfc3339(added->created_at)}});
  }
  if (parts.size() == 2 && m == "DELETE") {
    auto id = ParseId(parts[1]);
    if (!id) return ErrorResponse(NotFound("no SSH key " + parts[1]));
    auto deleted = CallDurable(control_, [&]() -> Result<bool> {
      CORRAL_RETURN_IF_ERROR(notebooks_.DeleteSshKey(caller.id, *id));
      return true;
    });
    if (!deleted.ok()) return ErrorResponse(deleted.status());
    return JsonResponse(200, {{"deleted", *id}});
  }
  return MethodNotAllowed(request);
}

HttpResponse NotebooksRoutes::Environments(const jobs::Caller& caller,
                                           const std::vector<std::string>& parts,
                                           const HttpRequest& request) {
  if (parts.size() != 1) return ErrorResponse(NotFound("no route for " + request.path));
  if (request.method == "GET") {
    auto envs = CallOnControl(control_, [&]() -> std::map<std::string, std::string> {
      return notebooks_.environments();
    });
    return JsonResponse(200, {{"environments", envs}});
  }
  if (request.method != "PUT") return MethodNotAllowed(request);
  if (!caller.is_admin())
    return ErrorResponse(
        Status(StatusCode::kPermissionDenied, "only admins register environments"));
  auto body = ParseBody(request.body, request.Header("content-type"), {max_body_bytes_});
  if (!body.ok()) return ErrorResponse(body.status());
  auto parsed = ParseEnvironments(*body);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  auto set = CallDurable(control_, [&]() -> Result<bool> {
    CORRAL_RETURN_IF_ERROR(notebooks_.SetEnvironments(*parsed));
    return true;
  });
  if (!set.ok()) return ErrorResponse(set.status());
  return JsonResponse(200, {{"environments", *parsed}});
}

Result<std::map<std::string, std::string>> ParseEnvironments(const json& body) {
  JsonObjectReader top(body, "");
  CORRAL_RETURN_IF_ERROR(top.Check({"environments"}));
  if (!top.Has("environments") || !top.At("environments").is_object())
    return InvalidArgument("environments", "must be an object of name: prefix");
  std::map<std::string, std::string> out;
  for (const auto& [name, prefix] : top.At("environments").items()) {
    std::string field = "environments." + name;
    CORRAL_RETURN_IF_ERROR(rules::CheckName(field, name));
    if (!prefix.is_string()) return InvalidArgument(field, "must be a path (string)");
    CORRAL_RETURN_IF_ERROR(rules::CheckAbsolutePath(field, prefix.get<std::string>()));
    out[name] = prefix.get<std::string>();
  }
  return out;
}

}  // namespace corral::api
