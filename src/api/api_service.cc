#include "api/api_service.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <thread>

#include "api/error_response.h"
#include "api/event_stream.h"
#include "api/job_json.h"
#include "api/json_reader.h"
#include "api/json_response.h"
#include "api/log_reader.h"
#include "api/openapi.h"
#include "api/queue_json.h"
#include "api/tokens.h"
#include "common/log.h"
#include "common/utf8.h"
#include "exec/local_account.h"
#include "model/field_rules.h"
#include "train/pytorch_job.h"

namespace corral::api {
namespace {

using nlohmann::json;

// Replacing bad bytes rather than throwing: text read back from the store predates the field
// rules, and a response must never fail to serialise.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<int64_t> ParseInt(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string SseEvent(const std::string& event, const std::string& data, int64_t id = 0) {
  std::string out;
  if (id > 0) out += "id: " + std::to_string(id) + "\n";
  out += "event: " + event + "\n";
  // SSE ends a line at CR as well as LF: a bare CR inside (progress bars) becomes a line break.
  std::string text = data;
  while (!text.empty() && text.back() == '\r') text.pop_back();
  for (auto& c : text)
    if (c == '\r') c = '\n';
  for (auto& line : Split(text, '\n')) out += "data: " + line + "\n";
  out += "\n";
  return out;
}

json EventToJson(const store::StoredEvent& e) {
  return {{"seq", e.seq},
          {"time", FormatRfc3339(e.time)},
          {"job", e.job.value},
          {"type", e.type},
          {"message", e.message}};
}

constexpr size_t kMaxTokenLabelBytes = 64;

}  // namespace

ApiService::ApiService(ControlPort& control, jobs::JobController& jobs, store::Store& store,
                       EventHub& hub, ApiLimits limits)
    : control_(control),
      jobs_(jobs),
      store_(store),
      hub_(hub),
      limits_(limits),
      auth_(std::make_unique<Authenticator>(control, store, clock_)),
      session_routes_(std::make_unique<SessionRoutes>(*auth_, control, store, clock_)) {}

Result<jobs::Caller> ApiService::Authenticate(const HttpRequest& request) {
  return auth_->Authenticate(request);
}

// Nothing a request carries may take the server down: an exception that escapes a handler (a bug)
// becomes a 500 and a log line, and so does one thrown later while a stream is written.
HttpResponse ApiService::Handle(const HttpRequest& request) {
  auto internal = [&](const char* what) {
    log::Error("{} {}: internal error: {}", request.method, request.path, what);
    return ErrorResponse(Internal("internal error"));
  };
  HttpResponse response;
  try {
    response = Route(request);
  } catch (const std::exception& e) {
    return internal(e.what());
  } catch (...) {
    return internal("unknown exception");
  }
  if (response.stream) {
    response.stream = [inner = std::move(response.stream), method = request.method,
                       path = request.path](StreamSink& sink) {
      try {
        inner(sink);
      } catch (const std::exception& e) {
        log::Error("{} {}: stream ended by an internal error: {}", method, path, e.what());
      } catch (...) {
        log::Error("{} {}: stream ended by an internal error", method, path);
      }
    };
  }
  return response;
}

HttpResponse ApiService::Route(const HttpRequest& request) {
  const std::string& path = request.path;
  if (path == "/healthz") return JsonResponse(200, {{"status", "ok"}});
  if (path == "/api/v1/openapi.json" && request.method == "GET") {
    HttpResponse r;
    r.body = OpenApiDocument();
    return r;
  }
  const std::string base = "/api/v1/";
  if (path.compare(0, base.size(), base) != 0)
    return ErrorResponse(NotFound("no route for " + path));
  if (size_t bad = FirstInvalidUtf8(path); bad != std::string::npos)
    return ErrorResponse(
        InvalidArgument("path", "is not valid UTF-8 (byte " + std::to_string(bad) + ")"));
  for (const auto& [key, value] : request.query) {
    if (!IsValidUtf8(key))
      return ErrorResponse(InvalidArgument("query", "a parameter name is not valid UTF-8"));
    if (size_t bad = FirstInvalidUtf8(value); bad != std::string::npos)
      return ErrorResponse(
          InvalidArgument(key, "is not valid UTF-8 (byte " + std::to_string(bad) + ")"));
    if (value.find('\0') != std::string::npos)
      return ErrorResponse(InvalidArgument(key, "must not contain NUL bytes"));
  }

  // Login, logout, the current session and passwords authenticate (or not) by themselves.
  if (auto routed = session_routes_->Route(request)) return std::move(*routed);
  auto caller = Authenticate(request);
  if (!caller.ok()) return ErrorResponse(caller.status());

  std::vector<std::string> parts = Split(path.substr(base.size()), '/');
  if (!parts.empty() && parts.back().empty()) parts.pop_back();
  const std::string& m = request.method;
  auto method_not_allowed = [&] {
    return ErrorResponse(Status(StatusCode::kInvalidArgument,
                                "method " + m + " is not allowed on " + path, "method"));
  };
  if (parts.empty()) return ErrorResponse(NotFound("no route for " + path));

  if (auto mount = mounts_.find(parts[0]); mount != mounts_.end())
    return mount->second->Handle(*caller, parts, request);
  if (parts[0] == "jobs") {
    if (parts.size() == 1) {
      if (m == "POST") return SubmitJob(*caller, request);
      if (m == "GET") return ListJobs(*caller, request);
      return method_not_allowed();
    }
    auto id = ParseInt(parts[1]);
    if (!id || *id <= 0) return ErrorResponse(NotFound("job '" + parts[1] + "' not found"));
    JobId job(*id);
    if (parts.size() == 2) {
      if (m == "GET") return GetJob(*caller, job);
      return method_not_allowed();
    }
    if (parts.size() == 3 && parts[2] == "cancel") {
      if (m == "POST") return CancelJob(*caller, job);
      return method_not_allowed();
    }
    if (parts.size() == 3 && parts[2] == "logs") {
      if (m == "GET") return Logs(*caller, job, request);
      return method_not_allowed();
    }
  } else if (parts.size() == 1 && parts[0] == "events") {
    if (m == "GET") return Events(*caller, request);
    return method_not_allowed();
  } else if (parts.size() == 1 && parts[0] == "nodes") {
    if (m == "GET") return Nodes(*caller);
    return method_not_allowed();
  } else if (parts.size() == 1 && parts[0] == "whoami") {
    if (m == "GET")
      return JsonResponse(200, {{"name", caller->name}, {"role", RoleName(caller->role)}});
    return method_not_allowed();
  } else if (parts.size() == 1 && parts[0] == "users") {
    if (m == "POST") return CreateUser(*caller, request);
    if (m == "GET") return ListUsers(*caller);
    return method_not_allowed();
  } else if (parts.size() == 1 && parts[0] == "queues") {
    if (m == "GET") return ListQueues();
    if (m == "PUT") return SetQueues(*caller, request);
    return method_not_allowed();
  } else if (parts.size() == 1 && parts[0] == "tokens") {
    if (m == "POST") return CreateToken(*caller, request);
    if (m == "GET") return ListTokens(*caller, request);
    return method_not_allowed();
  } else if (parts.size() == 2 && parts[0] == "tokens") {
    if (m == "DELETE") return RevokeToken(*caller, parts[1]);
    return method_not_allowed();
  }
  return ErrorResponse(NotFound("no route for " + path));
}

HttpResponse ApiService::SubmitJob(const jobs::Caller& caller, const HttpRequest& request) {
  auto body = ParseBody(request.body, request.Header("content-type"));
  if (!body.ok()) return ErrorResponse(body.status());
  // A Kubeflow PyTorchJob becomes a gang job; what it says only to Kubernetes comes back as
  // warnings.
  std::vector<std::string> warnings;
  std::optional<train::TrainingJob> training;
  if (train::IsPyTorchJob(*body)) {
    auto translated = train::FromPyTorchJob(*body);
    if (!translated.ok()) return ErrorResponse(translated.status());
    training = std::move(*translated);
    *body = std::move(training->job);
    warnings = std::move(training->warnings);
  }
  auto spec = ParseJobSpec(*body);
  if (!spec.ok())
    return ErrorResponse(training ? training->AtPyTorchJobField(spec.status()) : spec.status());
  auto job = CallDurable(control_, [&] { return jobs_.Submit(caller, std::move(*spec)); });
  if (!job.ok())
    return ErrorResponse(training ? training->AtPyTorchJobField(job.status()) : job.status());
  nlohmann::json out = JobToJson(*job);
  if (!warnings.empty()) out["warnings"] = warnings;
  HttpResponse r = JsonResponse(201, out);
  r.headers.push_back({"Location", "/api/v1/jobs/" + std::to_string(job->id.value)});
  return r;
}

HttpResponse ApiService::ListJobs(const jobs::Caller& caller, const HttpRequest& request) {
  store::JobQuery q;
  for (auto& [key, value] : request.query) {
    if (key == "state") {
      for (auto& s : Split(value, ',')) {
        auto st = ParseJobState(s);
        if (!st) return ErrorResponse(InvalidArgument("state", "unknown job state '" + s + "'"));
        q.states.push_back(*st);
      }
    } else if (key == "owner") {
      auto user = readers_ ? readers_->Use([&](store::Store& s) { return s.FindUserByName(value); })
                           : CallOnControl(control_, [&] { return store_.FindUserByName(value); });
      if (!user.ok()) return ErrorResponse(user.status());
      if (!*user) return ErrorResponse(InvalidArgument("owner", "no user named '" + value + "'"));
      q.owner = (*user)->id;
    } else if (key == "name") {
      q.name = value;
    } else if (key == "queue") {
      q.queue = value;
    } else if (key == "label") {
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0)
        return ErrorResponse(InvalidArgument("label", "must be key=value"));
      q.labels.push_back({value.substr(0, eq), value.substr(eq + 1)});
    } else if (key == "limit") {
      auto v = ParseInt(value);
      if (!v || *v < 1 || *v > 1000)
        return ErrorResponse(InvalidArgument("limit", "must be an integer from 1 to 1000"));
      q.limit = static_cast<int>(*v);
    } else if (key == "cursor") {
      auto v = ParseInt(value);
      if (!v || *v < 0) return ErrorResponse(InvalidArgument("cursor", "invalid cursor"));
      q.after_id = *v;
    } else {
      return ErrorResponse(InvalidArgument(key, "unknown query parameter"));
    }
  }
  Result<store::JobPage> page = store::JobPage{};
  if (readers_) {
    if (!caller.is_admin()) {
      if (q.owner && *q.owner != caller.id)
        return ErrorResponse(Status(StatusCode::kPermissionDenied,
                                    "only admins may list other users' jobs", "owner"));
      q.owner = caller.id;
    }
    // The page comes from committed rows; jobs still active are shown as the controller holds
    // them now (pending reasons, progress the next commit will write).
    page = readers_->Use([&](store::Store& s) { return s.ListJobs(q); });
    if (!page.ok()) return ErrorResponse(page.status());
    std::vector<JobId> active;
    for (const auto& j : page->jobs)
      if (!IsTerminal(j.state)) active.push_back(j.id);
    if (!active.empty()) {
      auto live = CallOnControl(control_, [&] { return jobs_.ActiveOf(active); });
      for (auto& j : page->jobs)
        for (auto& l : live)
          if (l.id == j.id) j = std::move(l);
    }
  } else {
    page = CallOnControl(control_, [&] { return jobs_.List(caller, q); });
    if (!page.ok()) return ErrorResponse(page.status());
  }
  json jobs = json::array();
  for (auto& j : page->jobs) jobs.push_back(JobToJson(j));
  return JsonResponse(
      200,
      {{"jobs", std::move(jobs)},
       {"next_cursor", page->next_cursor > 0 ? json(std::to_string(page->next_cursor)) : json()}});
}

HttpResponse ApiService::GetJob(const jobs::Caller& caller, JobId id) {
  if (!readers_) {
    auto job = CallOnControl(control_, [&] { return jobs_.Get(caller, id); });
    if (!job.ok()) return ErrorResponse(job.status());
    return JsonResponse(200, JobToJson(*job));
  }
  // A finished job is read from committed rows alone. An acknowledged submit was committed, so
  // a client's GET after its POST finds the job here at the latest.
  auto stored = readers_->Use([&](store::Store& s) { return s.GetJob(id); });
  if (!stored.ok()) return ErrorResponse(stored.status());
  const std::optional<Job>& job = *stored;
  if (!job || !IsTerminal(job->state)) {
    // Active (or ended since the last commit): the controller's view is the current one.
    auto live = CallOnControl(control_, [&] { return jobs_.Get(caller, id); });
    if (!live.ok()) return ErrorResponse(live.status());
    return JsonResponse(200, JobToJson(*live));
  }
  // Another user's job is reported as missing: its existence is not theirs to know.
  if (!caller.is_admin() && job->owner != caller.id)
    return ErrorResponse(NotFound("job " + std::to_string(id.value) + " not found"));
  return JsonResponse(200, JobToJson(*job));
}

HttpResponse ApiService::CancelJob(const jobs::Caller& caller, JobId id) {
  auto job = CallDurable(control_, [&] { return jobs_.Cancel(caller, id); });
  if (!job.ok()) return ErrorResponse(job.status());
  return JsonResponse(200, JobToJson(*job));
}

HttpResponse ApiService::Logs(const jobs::Caller& caller, JobId id, const HttpRequest& request) {
  std::optional<int> attempt;
  int replica = 0;
  bool follow = false;
  std::optional<int64_t> offset;
  std::optional<int64_t> tail;
  for (auto& [key, value] : request.query) {
    if (key == "attempt") {
      auto v = ParseInt(value);
      if (!v || *v < 1)
        return ErrorResponse(InvalidArgument("attempt", "must be a positive integer"));
      attempt = static_cast<int>(*v);
    } else if (key == "replica") {
      auto v = ParseInt(value);
      if (!v || *v < 0) return ErrorResponse(InvalidArgument("replica", "must be an integer >= 0"));
      replica = static_cast<int>(*v);
    } else if (key == "follow") {
      if (value == "true" || value == "1") {
        follow = true;
      } else if (value != "false" && value != "0") {
        return ErrorResponse(InvalidArgument("follow", "must be true or false"));
      }
    } else if (key == "offset") {
      auto v = ParseInt(value);
      if (!v || *v < 0) return ErrorResponse(InvalidArgument("offset", "must be an integer >= 0"));
      offset = *v;
    } else if (key == "tail") {
      auto v = ParseInt(value);
      if (!v || *v < 0) return ErrorResponse(InvalidArgument("tail", "must be an integer >= 0"));
      tail = *v;
    } else {
      return ErrorResponse(InvalidArgument(key, "unknown query parameter"));
    }
  }
  const std::string range_header = request.Header("range");
  if (static_cast<int>(offset.has_value()) + static_cast<int>(tail.has_value()) +
          static_cast<int>(!range_header.empty()) >
      1) {
    return ErrorResponse(
        InvalidArgument("tail", "give at most one of offset, tail and a Range header"));
  }
  // Empty until the job has an attempt (a pending job has no log yet).
  auto log_path_of = [this, caller, id, attempt, replica] {
    return CallOnControl(control_, [&] { return jobs_.LogPath(caller, id, attempt, replica); });
  };
  auto path = log_path_of();
  if (!path.ok()) return ErrorResponse(path.status());
  // Where to start (and, for a Range, stop), decided against the file as it is now.
  auto reader = std::make_shared<LogReader>(*path);
  const int64_t size = reader->Size();
  LogRange range;
  if (offset) range.offset = std::min(*offset, size);
  if (tail) range.offset = reader->TailOffset(*tail, size);
  if (!range_header.empty()) {
    auto parsed = ParseByteRange(range_header, size);
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    range = *parsed;
  }
  if (!follow) {
    HttpResponse r;
    r.content_type = "text/plain; charset=utf-8";
    const int64_t end = range.end.value_or(size);
    if (!range_header.empty()) {
      r.status = 206;
      r.headers.push_back(
          {"Content-Range", "bytes " + std::to_string(range.offset) + "-" +
                                std::to_string(std::max(end, range.offset + 1) - 1) + "/" +
                                std::to_string(size)});
    }
    // Where a later `?offset=` continues from.
    r.headers.push_back({"X-Corral-Log-End", std::to_string(end)});
    r.stream = [reader, start = range.offset, end](StreamSink& sink) {
      for (int64_t pos = start; pos < end;) {
        std::string chunk = reader->Read(
            pos, static_cast<size_t>(std::min<int64_t>(end - pos, LogReader::kChunkBytes)));
        if (chunk.empty() || !sink.Write(chunk)) return;
        pos += static_cast<int64_t>(chunk.size());
      }
    };
    return r;
  }
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers.push_back({"Cache-Control", "no-cache"});
  r.stream = [this, caller, id, log_path_of, initial = *path, reader,
              start = range.offset](StreamSink& sink) {
    std::shared_ptr<LogReader> log = reader;
    int64_t pos = start;
    std::string partial;
    // Sends what was appended since the last call, one bounded chunk at a time; a line longer
    // than a chunk is sent in pieces rather than held.
    auto pump = [&]() -> bool {
      while (true) {
        std::string chunk = log->Read(pos);
        if (chunk.empty()) return true;
        pos += static_cast<int64_t>(chunk.size());
        partial += chunk;
        std::string out;
        size_t begin = 0, nl;
        while ((nl = partial.find('\n', begin)) != std::string::npos) {
          out += SseEvent("log", partial.substr(begin, nl - begin));
          begin = nl + 1;
        }
        partial.erase(0, begin);
        if (partial.size() >= LogReader::kChunkBytes) {
          out += SseEvent("log", partial);
          partial.clear();
        }
        if (!out.empty() && !sink.Write(out)) return false;
      }
    };
    std::string log_path = initial;
    int64_t seen = hub_.last_seq();
    auto last_keepalive = std::chrono::steady_clock::now();
    while (!hub_.closed()) {
      if (!pump()) return;
      auto job = CallOnControl(control_, [&] { return jobs_.Get(caller, id); });
      if (!job.ok()) return;
      if (log_path.empty() && !job->attempts.empty()) {
        auto p = log_path_of();
        if (p.ok() && !p->empty()) {
          log_path = *p;
          log = std::make_shared<LogReader>(log_path);
        }
      } else if (log->Size() == 0 && !log_path.empty()) {
        // The file may not have existed when it was first opened (replica still starting).
        log = std::make_shared<LogReader>(log_path);
      }
      if (IsTerminal(job->state)) {
        if (!pump()) return;
        if (!partial.empty()) sink.Write(SseEvent("log", partial));
        json end = {{"state", JobStateName(job->state)},
                    {"exit_code", job->attempts.empty() || !job->attempts.back().exit_code
                                      ? json()
                                      : json(*job->attempts.back().exit_code)},
                    {"reason", job->reason}};
        sink.Write(SseEvent("end", Dump(end)));
        return;
      }
      bool complete = true;
      auto news = hub_.After(seen, std::chrono::milliseconds(100), &complete);
      if (!news.empty()) seen = news.back().seq;
      auto now = std::chrono::steady_clock::now();
      if (now - last_keepalive > std::chrono::seconds(15)) {
        if (!sink.Write(": keep-alive\n\n")) return;
        last_keepalive = now;
      }
    }
  };
  return r;
}

HttpResponse ApiService::Events(const jobs::Caller& caller, const HttpRequest& request) {
  int64_t since = -1;
  if (auto* s = request.Query("since")) {
    auto v = ParseInt(*s);
    if (!v || *v < 0) return ErrorResponse(InvalidArgument("since", "must be an integer >= 0"));
    since = *v;
  }
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers.push_back({"Cache-Control", "no-cache"});
  r.stream = [this, caller, since](StreamSink& sink) {
    std::optional<UserId> owner =
        caller.is_admin() ? std::nullopt : std::optional<UserId>(caller.id);
    EventStream stream(
        hub_,
        [this, owner](int64_t after, int limit) {
          if (readers_)
            return readers_->Use(
                [&](store::Store& s) { return s.EventsAfter(after, limit, owner); });
          return CallOnControl(control_, [&] { return store_.EventsAfter(after, limit, owner); });
        },
        [caller](const store::StoredEvent& e) { return caller.is_admin() || e.owner == caller.id; },
        [](const store::StoredEvent& e) { return SseEvent("job", Dump(EventToJson(e)), e.seq); },
        since, {});
    stream.Run(sink);
  };
  return r;
}

HttpResponse ApiService::Nodes(const jobs::Caller& caller) {
  auto nodes = CallOnControl(control_, [&] { return jobs_.Nodes(); });
  auto samples = gpu_samples_ ? gpu_samples_->Latest() : nullptr;
  HttpResponse r;
  r.body = NodesJsonText(nodes, caller, local_node_, samples.get());
  return r;
}

HttpResponse ApiService::CreateUser(const jobs::Caller& caller, const HttpRequest& request) {
  if (!caller.is_admin())
    return ErrorResponse(Status(StatusCode::kPermissionDenied, "only admins may create users"));
  auto body = ParseBody(request.body, request.Header("content-type"));
  if (!body.ok()) return ErrorResponse(body.status());
  JsonObjectReader r(*body, "");
  if (Status s = r.Check({"name", "role", "unix_user"}); !s.ok()) return ErrorResponse(s);
  auto name = r.String("name");
  if (!name.ok()) return ErrorResponse(name.status());
  if (!*name) return ErrorResponse(InvalidArgument("name", "is required"));
  if (Status s = rules::CheckUserName("name", **name); !s.ok()) return ErrorResponse(s);
  auto role_name = r.String("role");
  if (!role_name.ok()) return ErrorResponse(role_name.status());
  Role role = Role::kUser;
  if (*role_name) {
    if (**role_name == "admin") {
      role = Role::kAdmin;
    } else if (**role_name != "user") {
      return ErrorResponse(InvalidArgument("role", "must be user or admin"));
    }
  }
  auto unix_user = r.String("unix_user");
  if (!unix_user.ok()) return ErrorResponse(unix_user.status());
  if (*unix_user) {
    if (Status s = rules::CheckAccountName("unix_user", **unix_user); !s.ok())
      return ErrorResponse(s);
    if (Result<exec::RunAs> account = exec::LookupLocalAccount(**unix_user); !account.ok())
      return ErrorResponse(InvalidArgument("unix_user", account.status().message()));
  }
  std::string token = NewToken();
  std::string hash = HashToken(token);
  auto user = CallDurable(control_, [&]() -> Result<User> {
    CORRAL_ASSIGN_OR_RETURN(User u, store_.CreateUser(**name, role, SystemClock().Now()));
    if (*unix_user) {
      CORRAL_RETURN_IF_ERROR(store_.SetUserUnixAccount(u.id, **unix_user));
      u.unix_user = **unix_user;
    }
    CORRAL_RETURN_IF_ERROR(store_.AddToken(u.id, hash, "initial", SystemClock().Now()).status());
    return u;
  });
  if (!user.ok()) return ErrorResponse(user.status());
  return JsonResponse(
      201,
      {{"user",
        {{"name", user->name}, {"role", RoleName(user->role)}, {"unix_user", user->unix_user}}},
       {"token", token}});
}

HttpResponse ApiService::ListUsers(const jobs::Caller& caller) {
  if (!caller.is_admin())
    return ErrorResponse(Status(StatusCode::kPermissionDenied, "only admins may list users"));
  auto users = CallOnControl(control_, [&] { return store_.ListUsers(); });
  if (!users.ok()) return ErrorResponse(users.status());
  json arr = json::array();
  for (auto& u : *users)
    arr.push_back({{"name", u.name},
                   {"role", RoleName(u.role)},
                   {"unix_user", u.unix_user},
                   {"created_at", FormatRfc3339(u.created_at)}});
  return JsonResponse(200, {{"users", std::move(arr)}});
}

namespace {

json TokenInfoToJson(const TokenInfo& t) {
  return {{"id", t.id},
          {"user", t.user_name},
          {"label", t.label},
          {"created_at", FormatRfc3339(t.created_at)}};
}

}  // namespace

// Body (optional): {"label": "...", "user": "name"}; only an admin may name another user.
HttpResponse ApiService::CreateToken(const jobs::Caller& caller, const HttpRequest& request) {
  std::string label = "api";
  std::optional<std::string> user_name;
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto body = ParseBody(request.body, request.Header("content-type"));
    if (!body.ok()) return ErrorResponse(body.status());
    JsonObjectReader r(*body, "");
    if (Status s = r.Check({"label", "user"}); !s.ok()) return ErrorResponse(s);
    auto l = r.String("label");
    if (!l.ok()) return ErrorResponse(l.status());
    if (*l) {
      if (Status s = rules::CheckName("label", **l, kMaxTokenLabelBytes); !s.ok())
        return ErrorResponse(s);
      label = **l;
    }
    auto u = r.String("user");
    if (!u.ok()) return ErrorResponse(u.status());
    if (*u)
      if (Status s = rules::CheckUserName("user", **u); !s.ok()) return ErrorResponse(s);
    if (*u && **u != caller.name) {
      if (!caller.is_admin())
        return ErrorResponse(
            Status(StatusCode::kPermissionDenied, "only admins may create tokens for others"));
      user_name = **u;
    }
  }
  std::string token = NewToken();
  std::string hash = HashToken(token);
  auto info = CallDurable(control_, [&]() -> Result<TokenInfo> {
    UserId owner = caller.id;
    if (user_name) {
      CORRAL_ASSIGN_OR_RETURN(auto user, store_.FindUserByName(*user_name));
      if (!user) return InvalidArgument("user", "no user named '" + *user_name + "'");
      owner = user->id;
    }
    CORRAL_ASSIGN_OR_RETURN(int64_t id, store_.AddToken(owner, hash, label, SystemClock().Now()));
    CORRAL_ASSIGN_OR_RETURN(auto added, store_.FindToken(id));
    if (!added) return Internal("token " + std::to_string(id) + " vanished");
    return *added;
  });
  if (!info.ok()) return ErrorResponse(info.status());
  json out = TokenInfoToJson(*info);
  out["token"] = token;
  return JsonResponse(201, out);
}

// Without ?all=true, the caller's own tokens; with it (admins only), everyone's.
HttpResponse ApiService::ListTokens(const jobs::Caller& caller, const HttpRequest& request) {
  bool all = false;
  for (const auto& [key, value] : request.query) {
    if (key != "all") return ErrorResponse(InvalidArgument(key, "unknown query parameter"));
    if (value == "true" || value == "1") {
      all = true;
    } else if (value != "false" && value != "0") {
      return ErrorResponse(InvalidArgument("all", "must be true or false"));
    }
  }
  if (all && !caller.is_admin())
    return ErrorResponse(Status(StatusCode::kPermissionDenied, "only admins may list all tokens"));
  auto tokens = CallOnControl(control_, [&] {
    return store_.ListTokens(all ? std::nullopt : std::optional<UserId>(caller.id));
  });
  if (!tokens.ok()) return ErrorResponse(tokens.status());
  json items = json::array();
  for (const auto& t : *tokens) items.push_back(TokenInfoToJson(t));
  return JsonResponse(200, {{"tokens", std::move(items)}});
}

// The owner or an admin may revoke a token; it, and every session made from it, stops working at
// once (the caches are dropped).
HttpResponse ApiService::RevokeToken(const jobs::Caller& caller, const std::string& id_text) {
  auto id = ParseInt(id_text);
  if (!id || *id <= 0) return ErrorResponse(NotFound("token '" + id_text + "' not found"));
  auto revoked = CallDurable(control_, [&]() -> Result<TokenInfo> {
    CORRAL_ASSIGN_OR_RETURN(auto token, store_.FindToken(*id));
    // Someone else's token is as invisible as a missing one.
    if (!token || (token->user != caller.id && !caller.is_admin()))
      return NotFound("token '" + id_text + "' not found");
    CORRAL_RETURN_IF_ERROR(store_.DeleteToken(*id));
    return *token;
  });
  if (!revoked.ok()) return ErrorResponse(revoked.status());
  // The store deleted the sessions made from the token along with it.
  auth_->ForgetTokens();
  auth_->ForgetTokenSessions(*id);
  return JsonResponse(200, TokenInfoToJson(*revoked));
}

HttpResponse ApiService::ListQueues() {
  auto queues = CallOnControl(control_, [&] { return jobs_.Queues(); });
  return JsonResponse(200, QueueViewsToJson(queues));
}

HttpResponse ApiService::SetQueues(const jobs::Caller& caller, const HttpRequest& request) {
  if (!caller.is_admin())
    return ErrorResponse(Status(StatusCode::kPermissionDenied, "only admins may configure queues"));
  auto body = ParseBody(request.body, request.Header("content-type"));
  if (!body.ok()) return ErrorResponse(body.status());
  auto queues = ParseQueues(*body);
  if (!queues.ok()) return ErrorResponse(queues.status());
  std::string stored = Dump(QueueConfigsToJson(*queues));
  auto done = CallDurable(control_, [&]() -> Result<int> {
    CORRAL_RETURN_IF_ERROR(jobs_.SetQueues(*queues));
    CORRAL_RETURN_IF_ERROR(store_.PutSetting(kQueuesSetting, stored));
    return 0;
  });
  if (!done.ok()) return ErrorResponse(done.status());
  return ListQueues();
}

}  // namespace corral::api
