#include "tune/study.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

namespace corral::tune {
namespace {

using nlohmann::json;

uint64_t HashAssignment(const Assignment& a) {
  uint64_t h = 1469598103934665603ull;
  for (double v : a) {
    uint64_t bits = 0;
    if (!std::isnan(v)) std::memcpy(&bits, &v, sizeof bits);
    h = (h ^ bits) * 1099511628211ull;
    h ^= h >> 29;
  }
  return h;
}

bool SameAssignment(const Assignment& a, const Assignment& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) return false;
    if (!std::isnan(a[i]) && a[i] != b[i]) return false;
  }
  return true;
}

json NumberOrNull(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double NumberOrNan(const json& j) { return j.is_number() ? j.get<double>() : std::nan(""); }

json TrialToJson(const Trial& t) {
  json params = json::array();
  for (double v : t.params) params.push_back(NumberOrNull(v));
  json iv = json::array();
  for (const auto& [s, v] : t.intermediate) iv.push_back({s, NumberOrNull(v)});
  json tj = {{"number", t.number},
             {"state", TrialStateName(t.state)},
             {"params", params},
             {"intermediate", iv}};
  if (t.value) tj["value"] = *t.value;
  return tj;
}

Result<TrialState> TrialStateFromName(const std::string& s) {
  for (auto st :
       {TrialState::kPending, TrialState::kComplete, TrialState::kPruned, TrialState::kFailed})
    if (s == TrialStateName(st)) return st;
  return InvalidArgument("trials.state", "unknown trial state '" + s + "'");
}

}  // namespace

const char* TrialStateName(TrialState state) {
  switch (state) {
    case TrialState::kPending:
      return "pending";
    case TrialState::kComplete:
      return "complete";
    case TrialState::kPruned:
      return "pruned";
    case TrialState::kFailed:
      return "failed";
  }
  return "?";
}

Result<StudyConfig> StudyConfigFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("study", "study config must be an object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "space" && it.key() != "sampler" && it.key() != "pruner" &&
        it.key() != "direction" && it.key() != "seed")
      return InvalidArgument(it.key(), "unknown field");
  StudyConfig c;
  if (!j.contains("space")) return InvalidArgument("space", "space is required");
  CORRAL_ASSIGN_OR_RETURN(c.space, SearchSpace::FromJson(j["space"]));
  if (j.contains("sampler")) {
    CORRAL_ASSIGN_OR_RETURN(c.sampler, SamplerConfigFromJson(j["sampler"], "sampler"));
  }
  if (j.contains("pruner")) {
    CORRAL_ASSIGN_OR_RETURN(c.pruner, PrunerConfigFromJson(j["pruner"], "pruner"));
  }
  if (j.contains("direction")) {
    const json& d = j["direction"];
    if (d == "minimize")
      c.direction = Direction::kMinimize;
    else if (d == "maximize")
      c.direction = Direction::kMaximize;
    else
      return InvalidArgument("direction", "direction must be 'minimize' or 'maximize'");
  }
  if (j.contains("seed")) {
    if (!j["seed"].is_number_integer()) return InvalidArgument("seed", "seed must be an integer");
    c.seed = j["seed"].is_number_unsigned() ? j["seed"].get<uint64_t>()
                                            : static_cast<uint64_t>(j["seed"].get<int64_t>());
  }
  return c;
}

json StudyConfigToJson(const StudyConfig& c) {
  return {{"space", c.space.ToJson()},
          {"sampler", SamplerConfigToJson(c.sampler)},
          {"pruner", PrunerConfigToJson(c.pruner)},
          {"direction", c.direction == Direction::kMinimize ? "minimize" : "maximize"},
          {"seed", c.seed}};
}

Study::Study(Study&&) noexcept = default;
Study& Study::operator=(Study&&) noexcept = default;
Study::~Study() = default;

Result<Study> Study::Create(StudyConfig config) {
  Study s;
  CORRAL_ASSIGN_OR_RETURN(s.sampler_, MakeSampler(config.sampler, config.space, config.seed));
  CORRAL_ASSIGN_OR_RETURN(s.pruner_, MakePruner(config.pruner));
  s.rng_ = Rng(config.seed);
  s.config_ = std::move(config);
  return s;
}

Trial* Study::MutableTrial(int64_t number) {
  if (number < 0 || static_cast<size_t>(number) >= trials_.size()) return nullptr;
  return &trials_[static_cast<size_t>(number)];
}

const Trial* Study::FindTrial(int64_t number) const {
  if (number < 0 || static_cast<size_t>(number) >= trials_.size()) return nullptr;
  return &trials_[static_cast<size_t>(number)];
}

void Study::Index(const Trial& trial) {
  by_hash_.emplace(HashAssignment(trial.params), static_cast<size_t>(trial.number));
}

bool Study::IsDuplicate(const Assignment& a, bool pending_only) const {
  auto [lo, hi] = by_hash_.equal_range(HashAssignment(a));
  for (auto it = lo; it != hi; ++it) {
    const Trial& t = trials_[it->second];
    if (t.state == TrialState::kFailed) continue;
    if (pending_only && t.state != TrialState::kPending) continue;
    if (SameAssignment(t.params, a)) return true;
  }
  return false;
}

Result<std::vector<Trial>> Study::Ask(int n) {
  if (n < 0) return InvalidArgument("n", "n must be >= 0");
  std::vector<Trial> out;
  for (int b = 0; b < n; ++b) {
    Result<Assignment> a = sampler_->Suggest(trials_, config_.direction, rng_);
    if (!a.ok()) {
      if (a.status().code() == StatusCode::kResourceExhausted) {
        exhausted_ = true;
        break;
      }
      return a.status();
    }
    // A model-based sampler may land on a configuration already being evaluated (or, in a small
    // discrete space, already evaluated): ask again, then fall back to a uniform draw.
    for (int retry = 0; retry < 8 && IsDuplicate(*a, false); ++retry) {
      Result<Assignment> again = retry < 4 ? sampler_->Suggest(trials_, config_.direction, rng_)
                                           : Result<Assignment>(SampleUniform(config_.space, rng_));
      if (!again.ok()) break;
      a = std::move(again);
    }
    for (int retry = 0; retry < 64 && IsDuplicate(*a, true); ++retry)
      a = SampleUniform(config_.space, rng_);
    Trial t;
    t.number = static_cast<int64_t>(trials_.size());
    t.params = std::move(a).value();
    Index(t);
    MarkChanged(t.number);
    trials_.push_back(t);
    out.push_back(std::move(t));
  }
  return out;
}

Result<Trial> Study::Enqueue(Assignment params) {
  CORRAL_RETURN_IF_ERROR(config_.space.Validate(params));
  Trial t;
  t.number = static_cast<int64_t>(trials_.size());
  t.params = std::move(params);
  Index(t);
  MarkChanged(t.number);
  trials_.push_back(t);
  return t;
}

Status Study::Finish(Trial& trial, TrialState state, std::optional<double> value) {
  if (trial.state != TrialState::kPending)
    return FailedPrecondition("trial " + std::to_string(trial.number) + " is already " +
                              TrialStateName(trial.state));
  trial.state = state;
  trial.value = value;
  MarkChanged(trial.number);
  sampler_->OnTrialFinished(trial, config_.direction);
  return Status::Ok();
}

Status Study::Tell(int64_t number, double value) {
  Trial* t = MutableTrial(number);
  if (!t) return NotFound("no trial " + std::to_string(number));
  if (!std::isfinite(value)) return Finish(*t, TrialState::kFailed, std::nullopt);
  return Finish(*t, TrialState::kComplete, value);
}

Status Study::TellFailed(int64_t number) {
  Trial* t = MutableTrial(number);
  if (!t) return NotFound("no trial " + std::to_string(number));
  return Finish(*t, TrialState::kFailed, std::nullopt);
}

Status Study::TellPruned(int64_t number) {
  Trial* t = MutableTrial(number);
  if (!t) return NotFound("no trial " + std::to_string(number));
  return Finish(*t, TrialState::kPruned, std::nullopt);
}

Result<bool> Study::Report(int64_t number, int64_t step, double value) {
  Trial* t = MutableTrial(number);
  if (!t) return NotFound("no trial " + std::to_string(number));
  if (t->state != TrialState::kPending)
    return FailedPrecondition("trial " + std::to_string(number) + " is already " +
                              TrialStateName(t->state));
  if (step < 0) return InvalidArgument("step", "step must be >= 0");
  auto& iv = t->intermediate;
  auto it = std::lower_bound(iv.begin(), iv.end(), step,
                             [](const auto& p, int64_t s) { return p.first < s; });
  if (it != iv.end() && it->first == step)
    it->second = value;
  else
    iv.insert(it, {step, value});
  MarkChanged(number);
  // Only the newest step is judged (a late report of an earlier step changes no decision).
  if (iv.back().first != step) return false;
  return pruner_->ShouldPrune(*t, step, trials_, config_.direction);
}

const Trial* Study::Best() const {
  const Trial* best = nullptr;
  for (const Trial& t : trials_) {
    if (t.state != TrialState::kComplete || !t.value) continue;
    if (!best || Loss(config_.direction, *t.value) < Loss(config_.direction, *best->value))
      best = &t;
  }
  return best;
}

json Study::ParamsToJson(const Trial& trial) const {
  json j = json::object();
  for (size_t i = 0; i < config_.space.size(); ++i)
    if (!std::isnan(trial.params[i]))
      j[config_.space.param(i).name] = config_.space.ValueToJson(i, trial.params[i]);
  return j;
}

Result<Assignment> Study::ParamsFromJson(const json& j) const {
  if (!j.is_object()) return InvalidArgument("params", "params must be an object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!config_.space.IndexOf(it.key()))
      return InvalidArgument("params." + it.key(), "unknown parameter");
  Assignment a(config_.space.size(), std::nan(""));
  for (size_t i = 0; i < config_.space.size(); ++i) {
    auto it = j.find(config_.space.param(i).name);
    if (it == j.end()) continue;
    CORRAL_ASSIGN_OR_RETURN(a[i], config_.space.ValueFromJson(i, *it));
  }
  CORRAL_RETURN_IF_ERROR(config_.space.Validate(a));
  return a;
}

void Study::MarkChanged(int64_t number) {
  const auto k = static_cast<size_t>(number);
  if (is_changed_.size() <= k) is_changed_.resize(k + 1, false);
  if (is_changed_[k]) return;
  is_changed_[k] = true;
  changed_.push_back(number);
}

std::vector<int64_t> Study::TakeChanged() {
  std::vector<int64_t> out;
  out.swap(changed_);
  for (int64_t n : out) is_changed_[static_cast<size_t>(n)] = false;
  std::sort(out.begin(), out.end());
  return out;
}

std::string Study::SaveHead() const {
  json state = {{"version", 2},
                {"config", StudyConfigToJson(config_)},
                {"rng", rng_.ToString()},
                {"sampler_state", sampler_->SaveState()},
                {"exhausted", exhausted_},
                {"trial_count", trials_.size()}};
  return state.dump();
}

std::string Study::SaveTrial(int64_t number) const {
  const Trial* t = FindTrial(number);
  return t ? TrialToJson(*t).dump() : std::string();
}

std::string Study::SaveState() const {
  json trials = json::array();
  for (const Trial& t : trials_) trials.push_back(TrialToJson(t));
  json state = {{"version", 1},
                {"config", StudyConfigToJson(config_)},
                {"rng", rng_.ToString()},
                {"sampler_state", sampler_->SaveState()},
                {"exhausted", exhausted_},
                {"trials", std::move(trials)}};
  return state.dump();
}

Result<Study> Study::LoadHead(const json& state) {
  if (!state.contains("config")) return InvalidArgument("state.config", "missing");
  CORRAL_ASSIGN_OR_RETURN(StudyConfig config, StudyConfigFromJson(state["config"]));
  CORRAL_ASSIGN_OR_RETURN(Study s, Create(std::move(config)));
  if (!state.contains("rng") || !state["rng"].is_string())
    return InvalidArgument("state.rng", "missing");
  CORRAL_ASSIGN_OR_RETURN(s.rng_, Rng::FromString(state["rng"].get<std::string>()));
  CORRAL_RETURN_IF_ERROR(s.sampler_->LoadState(state.value("sampler_state", json())));
  s.exhausted_ = state.value("exhausted", false);
  return s;
}

Status Study::AddLoadedTrial(const json& tj, size_t k) {
  const std::string field = "state.trials[" + std::to_string(k) + "]";
  if (!tj.is_object() || tj.value("number", int64_t{-1}) != static_cast<int64_t>(k))
    return InvalidArgument(field + ".number", "trials must be numbered 0, 1, ...");
  Trial t;
  t.number = static_cast<int64_t>(k);
  CORRAL_ASSIGN_OR_RETURN(t.state, TrialStateFromName(tj.value("state", std::string())));
  const json& params = tj.value("params", json::array());
  if (params.size() != config_.space.size())
    return InvalidArgument(field + ".params", "wrong number of values");
  for (const auto& v : params) t.params.push_back(NumberOrNan(v));
  if (tj.contains("value")) t.value = NumberOrNan(tj["value"]);
  for (const auto& p : tj.value("intermediate", json::array())) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer())
      return InvalidArgument(field + ".intermediate", "entries must be [step, value]");
    t.intermediate.emplace_back(p[0].get<int64_t>(), NumberOrNan(p[1]));
  }
  Index(t);
  trials_.push_back(std::move(t));
  return Status::Ok();
}

Result<Study> Study::LoadState(std::string_view text) {
  json state = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded() || !state.is_object())
    return InvalidArgument("state", "state is not a JSON object");
  if (state.value("version", 0) != 1)
    return InvalidArgument("state.version", "unsupported state version");
  CORRAL_ASSIGN_OR_RETURN(Study s, LoadHead(state));
  const json& trials = state.value("trials", json::array());
  for (size_t k = 0; k < trials.size(); ++k) CORRAL_RETURN_IF_ERROR(s.AddLoadedTrial(trials[k], k));
  return s;
}

Result<Study> Study::LoadParts(std::string_view head, const std::vector<std::string>& trials) {
  json state = json::parse(head, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded() || !state.is_object())
    return InvalidArgument("state", "state is not a JSON object");
  if (state.value("version", 0) != 2)
    return InvalidArgument("state.version", "unsupported state version");
  CORRAL_ASSIGN_OR_RETURN(Study s, LoadHead(state));
  if (state.value("trial_count", size_t{0}) != trials.size())
    return InvalidArgument("state.trial_count",
                           "the head counts " + std::to_string(state.value("trial_count", 0)) +
                               " trials, " + std::to_string(trials.size()) + " records were given");
  for (size_t k = 0; k < trials.size(); ++k) {
    json tj = json::parse(trials[k], nullptr, /*allow_exceptions=*/false);
    if (tj.is_discarded())
      return InvalidArgument("state.trials[" + std::to_string(k) + "]", "not JSON");
    CORRAL_RETURN_IF_ERROR(s.AddLoadedTrial(tj, k));
  }
  return s;
}

}  // namespace corral::tune
