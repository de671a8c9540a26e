#include "tune/tune_command.h"

#include <time.h>

#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tune/study.h"

namespace corral::tune {
namespace {

using nlohmann::json;

json ErrorReply(const Status& s) {
  return {{"ok", false},
          {"error",
           {{
                "code",
                StatusCodeName(s.code()),
            },
            {"message", s.message()},
            {"field", s.field()}}}};
}

double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

json TrialJson(const Study& study, const Trial& t) {
  return {{"trial", t.number}, {"params", study.ParamsToJson(t)}};
}

class Session {
 public:
  json Handle(const json& req) {
    if (!req.is_object() || !req.contains("op") || !req["op"].is_string())
      return ErrorReply(InvalidArgument("op", "request must be an object with a string 'op'"));
    const std::string op = req["op"].get<std::string>();
    const std::string id = req.value("id", std::string());
    if (op == "create") {
      if (!req.contains("study")) return ErrorReply(InvalidArgument("study", "missing"));
      Result<StudyConfig> config = StudyConfigFromJson(req["study"]);
      if (!config.ok()) return ErrorReply(config.status());
      Result<Study> study = Study::Create(std::move(config).value());
      if (!study.ok()) return ErrorReply(study.status());
      studies_.insert_or_assign(id, std::move(study).value());
      return {{"ok", true}};
    }
    if (op == "load") {
      if (!req.contains("state")) return ErrorReply(InvalidArgument("state", "missing"));
      Result<Study> study = Study::LoadState(req["state"].dump());
      if (!study.ok()) return ErrorReply(study.status());
      studies_.insert_or_assign(id, std::move(study).value());
      return {{"ok", true}};
    }
    auto it = studies_.find(id);
    if (it == studies_.end())
      return ErrorReply(NotFound("no study '" + id + "'; create one first"));
    Study& study = it->second;
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = ThreadCpuMicros();
    json reply = Dispatch(study, op, req);
    if (reply.value("ok", false)) {
      reply["us"] =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      reply["cpu_us"] = ThreadCpuMicros() - c0;
    }
    return reply;
  }

 private:
  static std::optional<int64_t> TrialNumber(const json& req) {
    if (!req.contains("trial") || !req["trial"].is_number_integer()) return std::nullopt;
    return req["trial"].get<int64_t>();
  }

  json Dispatch(Study& study, const std::string& op, const json& req) {
    if (op == "ask") {
      const json& n = req.value("n", json(1));
      if (!n.is_number_integer()) return ErrorReply(InvalidArgument("n", "n must be an integer"));
      Result<std::vector<Trial>> trials = study.Ask(n.get<int>());
      if (!trials.ok()) return ErrorReply(trials.status());
      json out = json::array();
      for (const Trial& t : *trials) out.push_back(TrialJson(study, t));
      return {{"ok", true}, {"trials", out}, {"exhausted", study.exhausted()}};
    }
    if (op == "tell") {
      auto number = TrialNumber(req);
      if (!number) return ErrorReply(InvalidArgument("trial", "trial must be an integer"));
      const std::string state = req.value("state", std::string("complete"));
      Status s;
      if (state == "failed")
        s = study.TellFailed(*number);
      else if (state == "pruned")
        s = study.TellPruned(*number);
      else if (state == "complete") {
        if (!req.contains("value"))
          return ErrorReply(InvalidArgument("value", "value is required"));
        // A null value (NaN on the way in) fails the trial rather than vanishing.
        const json& v = req["value"];
        if (!v.is_number() && !v.is_null())
          return ErrorReply(InvalidArgument("value", "value must be a number"));
        s = study.Tell(*number, v.is_number() ? v.get<double>() : std::nan(""));
      } else {
        return ErrorReply(InvalidArgument("state", "state must be complete, failed or pruned"));
      }
      if (!s.ok()) return ErrorReply(s);
      return {{"ok", true}};
    }
    if (op == "report") {
      auto number = TrialNumber(req);
      if (!number) return ErrorReply(InvalidArgument("trial", "trial must be an integer"));
      if (!req.contains("step") || !req["step"].is_number_integer())
        return ErrorReply(InvalidArgument("step", "step must be an integer"));
      const json& v = req.value("value", json());
      if (!v.is_number() && !v.is_null())
        return ErrorReply(InvalidArgument("value", "value must be a number"));
      Result<bool> prune = study.Report(*number, req["step"].get<int64_t>(),
                                        v.is_number() ? v.get<double>() : std::nan(""));
      if (!prune.ok()) return ErrorReply(prune.status());
      return {{"ok", true}, {"should_prune", *prune}};
    }
    if (op == "enqueue") {
      Result<Assignment> a = study.ParamsFromJson(req.value("params", json()));
      if (!a.ok()) return ErrorReply(a.status());
      Result<Trial> t = study.Enqueue(std::move(a).value());
      if (!t.ok()) return ErrorReply(t.status());
      return {{"ok", true}, {"trial", t->number}};
    }
    if (op == "best") {
      const Trial* best = study.Best();
      if (!best) return {{"ok", true}, {"trial", nullptr}};
      return {{"ok", true},
              {"trial", best->number},
              {"value", *best->value},
              {"params", study.ParamsToJson(*best)}};
    }
    if (op == "dump") return {{"ok", true}, {"state", json::parse(study.SaveState())}};
    return ErrorReply(InvalidArgument("op", "unknown op '" + op + "'"));
  }

  std::map<std::string, Study> studies_;
};

}  // namespace

int RunTuneProtocol(int, char**) {
  std::ios::sync_with_stdio(false);
  Session session;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    json req = json::parse(line, nullptr, /*allow_exceptions=*/false);
    json reply = req.is_discarded()
                     ? ErrorReply(InvalidArgument("request", "line is not valid JSON"))
                     : session.Handle(req);
    std::cout << reply.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
  }
  return 0;
}

}  // namespace corral::tune
