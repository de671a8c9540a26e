#include "experiments/experiment_controller.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/log.h"
#include "experiments/log_lines.h"
#include "experiments/trial_template.h"

namespace corral::experiments {

using nlohmann::json;

// How far the controller has read one trial's output: bytes of complete lines consumed from the
// log of `attempt`, and the last step of its metrics.
struct ExperimentController::TrialRun {
  int attempt = 0;
  int64_t offset = 0;
  int64_t count = 0;
  // How far the metrics file (if any) was read. It spans attempts: the file is the trial's, not
  // an attempt's. Starts at the file's size when the trial is submitted, so that what an earlier
  // run left there does not count.
  int64_t file_offset = 0;
  std::string metrics_path;  // the trial's CORRAL_METRICS_FILE; empty: none
  // Not saved: which OutputFollower::Follow is current, and the job's end while its last output
  // is being read.
  uint64_t generation = 0;
  std::optional<JobState> finishing;
};

struct ExperimentController::Active {
  Experiment row;
  ParsedSpec parsed;
  std::optional<tune::Study> study;
  std::optional<MetricLineParser> parser;
  jobs::Caller owner;
  std::map<int, Trial> trials;
  std::map<int, TrialRun> runs;
  std::string message;
  bool dirty = false;
  bool ended = false;
  SearchCost cost;

  const ExperimentSpec& spec() const { return parsed.spec; }
};

namespace {

// Measured with the monotonic clock: these are costs, not times of events.
double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The trial's metrics file, as its job was given it.
std::optional<std::string> MetricsFileOf(const Job& job) {
  auto it = job.spec.env.find("CORRAL_METRICS_FILE");
  if (it == job.spec.env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

bool InFlight(const Trial& t) { return t.state == kTrialPending || t.state == kTrialRunning; }

ParamValue ToParamValue(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  return std::string();
}

std::string ParamText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

TrialCounts Count(const std::map<int, Trial>& trials) {
  TrialCounts c;
  for (const auto& [n, t] : trials) {
    if (t.state == kTrialPending)
      ++c.pending;
    else if (t.state == kTrialRunning)
      ++c.running;
    else if (t.state == kTrialSucceeded)
      ++c.succeeded;
    else if (t.state == kTrialFailed)
      ++c.failed;
    else if (t.state == kTrialPruned)
      ++c.pruned;
    else if (t.state == kTrialCancelled)
      ++c.cancelled;
  }
  return c;
}

bool Better(tune::Direction d, double a, double b) {
  return d == tune::Direction::kMinimize ? a < b : a > b;
}

std::optional<Trial> BestOf(const std::map<int, Trial>& trials, tune::Direction d) {
  std::optional<Trial> best;
  for (const auto& [n, t] : trials)
    if (t.state == kTrialSucceeded && t.objective && std::isfinite(*t.objective) &&
        (!best || Better(d, *t.objective, *best->objective)))
      best = t;
  return best;
}

std::string SpecColumn(const ParsedSpec& parsed) {
  return json{{"format", parsed.format},
              {"warnings", parsed.warnings},
              {"spec", ExperimentSpecToJson(parsed.spec)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ParsedSpec> SpecFromColumn(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("spec"))
    return Internal("stored experiment spec is not readable");
  CORRAL_ASSIGN_OR_RETURN(ParsedSpec parsed, ParseNativeSpec(j["spec"]));
  parsed.format = j.value("format", std::string("native"));
  parsed.warnings = j.value("warnings", std::vector<std::string>());
  return parsed;
}

std::string MessageFromState(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  return j.value("message", std::string());
}

json CostToJson(const SearchCost& c) {
  return {{"suggestions", c.suggestions},
          {"ask_ms_total", c.ask_ms_total},
          {"ask_ms_max", c.ask_ms_max},
          {"ask_ms_last", c.ask_ms_last},
          {"saves", c.saves},
          {"save_ms_total", c.save_ms_total},
          {"save_ms_max", c.save_ms_max},
          {"save_ms_last", c.save_ms_last}};
}

SearchCost CostFromJson(const json& j) {
  SearchCost c;
  if (!j.is_object()) return c;
  c.suggestions = j.value("suggestions", int64_t{0});
  c.ask_ms_total = j.value("ask_ms_total", 0.0);
  c.ask_ms_max = j.value("ask_ms_max", 0.0);
  c.ask_ms_last = j.value("ask_ms_last", 0.0);
  c.saves = j.value("saves", int64_t{0});
  c.save_ms_total = j.value("save_ms_total", 0.0);
  c.save_ms_max = j.value("save_ms_max", 0.0);
  c.save_ms_last = j.value("save_ms_last", 0.0);
  return c;
}

SearchCost CostFromState(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  return CostFromJson(j.value("cost", json()));
}

}  // namespace

ExperimentController::ExperimentController(store::Store& store, jobs::JobController& jobs,
                                           const Clock& clock, ExperimentControllerOptions options)
    : store_(store), jobs_(jobs), clock_(clock), options_(std::move(options)) {}

ExperimentController::~ExperimentController() = default;

Result<jobs::Caller> ExperimentController::OwnerOf(UserId owner) {
  CORRAL_ASSIGN_OR_RETURN(auto user, store_.FindUserById(owner));
  if (!user) return Internal("experiment owner " + std::to_string(owner.value) + " is gone");
  return jobs::Caller{user->id, user->name, user->role};
}

Result<std::unique_ptr<ExperimentController::Active>> ExperimentController::Load(
    const Experiment& row) {
  auto a = std::make_unique<Active>();
  a->row = row;
  CORRAL_ASSIGN_OR_RETURN(a->parsed, SpecFromColumn(row.spec));
  CORRAL_ASSIGN_OR_RETURN(auto parser, MetricLineParser::Create(a->spec().metrics_filters));
  a->parser.emplace(std::move(parser));
  CORRAL_ASSIGN_OR_RETURN(a->owner, OwnerOf(row.owner));
  json state = json::parse(row.sampler_state, nullptr, false);
  CORRAL_ASSIGN_OR_RETURN(auto trials, store_.ListTrials(row.id));
  for (auto& t : trials) a->trials[t.number] = std::move(t);
  const bool saved = !state.is_discarded() && state.is_object() &&
                     (state.contains("search") || state.contains("study"));
  if (saved && state.contains("search")) {
    CORRAL_ASSIGN_OR_RETURN(auto records, store_.ListTrialSearchStates(row.id));
    CORRAL_ASSIGN_OR_RETURN(auto study, tune::Study::LoadParts(state["search"].dump(), records));
    a->study.emplace(std::move(study));
  } else if (saved) {
    // Written by an older server: the whole history in one document. Move each trial's record
    // into its row now, so that the next save writes the split form.
    CORRAL_ASSIGN_OR_RETURN(auto study, tune::Study::LoadState(state["study"].dump()));
    a->study.emplace(std::move(study));
    for (const auto& t : a->study->trials()) CORRAL_RETURN_IF_ERROR(SaveSearchRecord(*a, t.number));
  }
  if (saved) {
    a->message = state.value("message", std::string());
    a->cost = CostFromJson(state.value("cost", json()));
    const json runs = state.value("trials", json::object());
    for (const auto& [key, r] : runs.items()) {
      TrialRun run;
      run.metrics_path = r.value("metrics_path", std::string());
      run.attempt = r.value("attempt", 0);
      run.offset = r.value("offset", int64_t{0});
      run.file_offset = r.value("file_offset", int64_t{0});
      run.count = r.value("count", int64_t{0});
      a->runs[std::stoi(key)] = run;
    }
  } else {
    CORRAL_ASSIGN_OR_RETURN(auto study, tune::Study::Create(a->spec().study));
    a->study.emplace(std::move(study));
  }
  return a;
}

Status ExperimentController::SaveSearchRecord(Active& a, int64_t number) {
  const int n = static_cast<int>(number);
  if (!a.trials.count(n)) {
    // A trial the search created but no job was made for (the batch was abandoned when the
    // template was rejected): it still needs a row to hold its record.
    Trial t;
    t.experiment = a.row.id;
    t.number = n;
    t.state = kTrialFailed;
    if (const tune::Trial* st = a.study->FindTrial(number)) {
      json params = a.study->ParamsToJson(*st);
      for (auto& [name, v] : params.items()) t.params[name] = ToParamValue(v);
    }
    CORRAL_RETURN_IF_ERROR(PersistTrial(a, t));
  }
  return store_.SetTrialSearchState(a.row.id, n, a.study->SaveTrial(number));
}

Status ExperimentController::Persist(Active& a) {
  const auto started = std::chrono::steady_clock::now();
  json runs = json::object();
  for (const auto& [n, r] : a.runs) {
    auto t = a.trials.find(n);
    if (t == a.trials.end() || !InFlight(t->second)) continue;  // only live readers matter
    runs[std::to_string(n)] = {{"attempt", r.attempt},
                               {"offset", r.offset},
                               {"count", r.count},
                               {"file_offset", r.file_offset},
                               {"metrics_path", r.metrics_path}};
  }
  for (int64_t number : a.study->TakeChanged()) CORRAL_RETURN_IF_ERROR(SaveSearchRecord(a, number));
  a.row.sampler_state = json{
      {"search", json::parse(a.study->SaveHead())},
      {"message", a.message},
      {"cost", CostToJson(a.cost)},
      {"trials", runs}}.dump(-1, ' ', false, json::error_handler_t::replace);
  a.dirty = false;
  Status s = store_.UpdateExperiment(a.row);
  const double ms = MillisSince(started);
  a.cost.saves += 1;
  a.cost.save_ms_total += ms;
  a.cost.save_ms_max = std::max(a.cost.save_ms_max, ms);
  a.cost.save_ms_last = ms;
  return s;
}

Status ExperimentController::PersistTrial(Active& a, const Trial& t) {
  a.trials[t.number] = t;
  a.dirty = true;
  return store_.UpsertTrial(t);
}

Status ExperimentController::Recover() {
  CORRAL_ASSIGN_OR_RETURN(auto rows, store_.LoadActiveExperiments());
  for (const auto& row : rows) {
    auto a = Load(row);
    if (!a.ok()) {
      log::Error("experiment {}: cannot resume: {}", row.id.value, a.status().ToString());
      continue;
    }
    for (const auto& [n, t] : (*a)->trials)
      if (InFlight(t) && t.job.valid()) by_job_[t.job] = row.id;
    log::Info("experiment {} ({}): resumed with {} trials", row.id.value, row.name,
              (*a)->trials.size());
    Status synced = SyncTrialStates(**a);
    if (!synced.ok())
      log::Error("experiment {}: catching up with its trials: {}", row.id.value, synced.ToString());
    active_[row.id] = std::move(*a);
  }
  Tick();
  return Status::Ok();
}

Result<ExperimentView> ExperimentController::Create(const jobs::Caller& caller, ParsedSpec parsed) {
  CORRAL_ASSIGN_OR_RETURN(auto study, tune::Study::Create(parsed.spec.study));
  CORRAL_ASSIGN_OR_RETURN(auto parser, MetricLineParser::Create(parsed.spec.metrics_filters));
  auto a = std::make_unique<Active>();
  a->parsed = std::move(parsed);
  a->study.emplace(std::move(study));
  a->parser.emplace(std::move(parser));
  a->owner = caller;
  a->row.owner = caller.id;
  a->row.name = a->spec().name;
  a->row.spec = SpecColumn(a->parsed);
  a->row.state = kExperimentRunning;
  a->row.created_at = clock_.Now();
  CORRAL_RETURN_IF_ERROR(store_.InsertExperiment(a->row));
  CORRAL_RETURN_IF_ERROR(Persist(*a));
  ExperimentId id = a->row.id;
  Active& ref = *a;
  active_[id] = std::move(a);
  CORRAL_RETURN_IF_ERROR(Step(ref));
  log::Info("experiment {} ({}) created by {}", id.value, ref.row.name, caller.name);
  ExperimentView view;
  CORRAL_ASSIGN_OR_RETURN(view, View(ref.row));
  if (ref.ended) active_.erase(id);
  return view;
}

Result<Experiment> ExperimentController::Visible(const jobs::Caller& caller, ExperimentId id) {
  if (auto it = active_.find(id); it != active_.end()) {
    if (!caller.is_admin() && it->second->row.owner != caller.id)
      return NotFound("experiment " + std::to_string(id.value) + " not found");
    return it->second->row;
  }
  CORRAL_ASSIGN_OR_RETURN(auto row, store_.GetExperiment(id));
  if (!row || (!caller.is_admin() && row->owner != caller.id))
    return NotFound("experiment " + std::to_string(id.value) + " not found");
  return *row;
}

Result<ExperimentView> ExperimentController::View(const Experiment& row) {
  ExperimentView v;
  v.experiment = row;
  std::map<int, Trial> stored;
  const std::map<int, Trial>* trials = nullptr;
  if (auto it = active_.find(row.id); it != active_.end()) {
    const Active& a = *it->second;
    v.experiment = a.row;
    v.spec = a.spec();
    v.format = a.parsed.format;
    v.warnings = a.parsed.warnings;
    v.message = a.message;
    v.cost = a.cost;
    trials = &a.trials;
  } else {
    CORRAL_ASSIGN_OR_RETURN(auto parsed, SpecFromColumn(row.spec));
    v.spec = parsed.spec;
    v.format = parsed.format;
    v.warnings = parsed.warnings;
    v.message = MessageFromState(row.sampler_state);
    v.cost = CostFromState(row.sampler_state);
    CORRAL_ASSIGN_OR_RETURN(auto list, store_.ListTrials(row.id));
    for (auto& t : list) stored[t.number] = std::move(t);
    trials = &stored;
  }
  v.counts = Count(*trials);
  v.best = BestOf(*trials, v.spec.objective.direction);
  return v;
}

Result<ExperimentView> ExperimentController::Get(const jobs::Caller& caller, ExperimentId id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  return View(row);
}

Result<std::vector<ExperimentView>> ExperimentController::List(const jobs::Caller& caller) {
  store::ExperimentQuery q;
  if (!caller.is_admin()) q.owner = caller.id;
  q.limit = 1000;
  CORRAL_ASSIGN_OR_RETURN(auto page, store_.ListExperiments(q));
  std::vector<ExperimentView> out;
  for (const auto& row : page.experiments) {
    CORRAL_ASSIGN_OR_RETURN(auto v, View(row));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<Trial>> ExperimentController::Trials(const jobs::Caller& caller,
                                                        ExperimentId id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  if (auto it = active_.find(id); it != active_.end()) {
    std::vector<Trial> out;
    for (const auto& [n, t] : it->second->trials) out.push_back(t);
    return out;
  }
  return store_.ListTrials(row.id);
}

Result<std::vector<MetricPoint>> ExperimentController::TrialMetrics(
    const jobs::Caller& caller, ExperimentId id, int number,
    const std::optional<std::string>& name) {
  CORRAL_ASSIGN_OR_RETURN(auto trials, Trials(caller, id));
  for (const auto& t : trials)
    if (t.number == number) {
      if (!t.job.valid()) return std::vector<MetricPoint>();
      return store_.ListMetrics(t.job, name);
    }
  return NotFound("experiment " + std::to_string(id.value) + " has no trial " +
                  std::to_string(number));
}

Result<ExperimentView> ExperimentController::Stop(const jobs::Caller& caller, ExperimentId id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  auto it = active_.find(id);
  if (it == active_.end())
    return FailedPrecondition("experiment " + std::to_string(id.value) + " is already " +
                              row.state);
  CORRAL_RETURN_IF_ERROR(End(*it->second, kExperimentStopped, "stopped by " + caller.name));
  ExperimentView view;
  CORRAL_ASSIGN_OR_RETURN(view, View(it->second->row));
  active_.erase(it);
  return view;
}

Result<ExperimentView> ExperimentController::Resume(const jobs::Caller& caller, ExperimentId id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  if (active_.count(id) || row.state == kExperimentRunning)
    return FailedPrecondition("experiment " + std::to_string(id.value) + " is running");
  if (row.state != kExperimentStopped)
    return FailedPrecondition("experiment " + std::to_string(id.value) + " is " + row.state +
                              "; only a stopped experiment can be resumed");
  CORRAL_ASSIGN_OR_RETURN(auto a, Load(row));
  a->row.state = kExperimentRunning;
  a->row.ended_at.reset();
  a->message = "resumed by " + caller.name;
  Active& ref = *a;
  active_[id] = std::move(a);
  CORRAL_RETURN_IF_ERROR(Persist(ref));
  CORRAL_RETURN_IF_ERROR(Step(ref));
  ExperimentView view;
  CORRAL_ASSIGN_OR_RETURN(view, View(ref.row));
  if (ref.ended) active_.erase(id);
  return view;
}

Status ExperimentController::PushMetric(const jobs::Caller& caller, ExperimentId id, int number,
                                        const std::string& name, double value,
                                        std::optional<int64_t> step) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  auto it = active_.find(id);
  if (it == active_.end())
    return FailedPrecondition("experiment " + std::to_string(id.value) + " is " + row.state);
  Active& a = *it->second;
  auto t = a.trials.find(number);
  if (t == a.trials.end())
    return NotFound("experiment " + std::to_string(id.value) + " has no trial " +
                    std::to_string(number));
  if (!InFlight(t->second))
    return FailedPrecondition("trial " + std::to_string(number) + " is " + t->second.state);
  Trial trial = t->second;
  CORRAL_RETURN_IF_ERROR(Record(a, trial, {{name, value}}, step, /*pushed=*/true));
  CORRAL_RETURN_IF_ERROR(CheckEnd(a));
  if (a.dirty) CORRAL_RETURN_IF_ERROR(Persist(a));
  if (a.ended) active_.erase(id);
  return Status::Ok();
}

void ExperimentController::OnJobEvent(const jobs::JobEvent& event) {
  if (!event.parent || event.parent->kind != ParentKind::kExperiment) return;
  if (!by_job_.count(event.job)) return;
  switch (event.kind) {
    case jobs::JobEventKind::kStarted:
    case jobs::JobEventKind::kPreempted:
    case jobs::JobEventKind::kRequeued:
    case jobs::JobEventKind::kRetrying:
    case jobs::JobEventKind::kSucceeded:
    case jobs::JobEventKind::kFailed:
    case jobs::JobEventKind::kCancelled:
      break;
    default:
      return;  // nothing a trial's state follows
  }
  job_events_.push_back(event);
  if (wake_ && !wake_pending_) {
    wake_pending_ = true;
    wake_();
  }
}

void ExperimentController::AddLaunchEnv(const Job& job, std::map<std::string, std::string>& env) {
  if (!options_.trial_token || !job.parent || job.parent->kind != ParentKind::kExperiment) return;
  int64_t trial = 0;
  auto [p, ec] =
      std::from_chars(job.parent->child_key.data(),
                      job.parent->child_key.data() + job.parent->child_key.size(), trial);
  if (ec != std::errc()) return;
  env.emplace("CORRAL_TOKEN", options_.trial_token(job.owner, job.parent->id, trial));
}

Status ExperimentController::SyncTrialStates(Active& a) {
  for (auto& [n, trial] : a.trials) {
    if (!InFlight(trial) || !trial.job.valid()) continue;
    CORRAL_ASSIGN_OR_RETURN(Job job, jobs_.Get(a.owner, trial.job));
    jobs::JobEvent ev;
    ev.job = job.id;
    ev.owner = job.owner;
    ev.parent = JobParent{ParentKind::kExperiment, a.row.id.value, std::to_string(n)};
    ev.state = job.state;
    ev.attempt = job.attempts.empty() ? 0 : job.attempts.back().number;
    ev.kind = job.state == JobState::kSucceeded   ? jobs::JobEventKind::kSucceeded
              : job.state == JobState::kFailed    ? jobs::JobEventKind::kFailed
              : job.state == JobState::kCancelled ? jobs::JobEventKind::kCancelled
              : job.state == JobState::kRunning   ? jobs::JobEventKind::kStarted
                                                  : jobs::JobEventKind::kRequeued;
    job_events_.push_back(ev);
  }
  return Status::Ok();
}

Status ExperimentController::ApplyJobEvent(Active& a, const jobs::JobEvent& ev) {
  int number = 0;
  auto [p, ec] = std::from_chars(ev.parent->child_key.data(),
                                 ev.parent->child_key.data() + ev.parent->child_key.size(), number);
  if (ec != std::errc()) return Status::Ok();
  auto it = a.trials.find(number);
  if (it == a.trials.end() || !InFlight(it->second) || it->second.job != ev.job)
    return Status::Ok();  // pruned or cancelled meanwhile
  Trial t = it->second;
  TrialRun& run = a.runs[number];
  bool new_attempt = false;
  if (ev.attempt != 0 && run.attempt != ev.attempt) {
    // A new attempt (after preemption or a retry) starts its log afresh.
    run.attempt = ev.attempt;
    run.offset = 0;
    run.count = 0;
    a.dirty = true;
    new_attempt = true;
  }
  if (jobs::IsTerminalEvent(ev.kind)) {
    if (!follower_) return FinishTrial(a, t, ev.state, /*read_rest=*/true);
    // The trial ends once its last lines are read (OnTrialOutput). An attempt that ended before
    // anyone followed it (it ended while the server was down, or never ran) is read now.
    if (run.finishing) return Status::Ok();
    if (run.generation == 0 || new_attempt) CORRAL_RETURN_IF_ERROR(StartFollowing(a, t));
    run.finishing = ev.state;
    follower_->Finish(a.row.id, number, run.generation);
    return Status::Ok();
  }
  const char* state = ev.kind == jobs::JobEventKind::kStarted ? kTrialRunning : kTrialPending;
  if (state == kTrialRunning && follower_) CORRAL_RETURN_IF_ERROR(StartFollowing(a, t));
  if (t.state == state) return Status::Ok();
  t.state = state;
  return PersistTrial(a, t);
}

void ExperimentController::Tick() {
  wake_pending_ = false;
  std::vector<jobs::JobEvent> events;
  events.swap(job_events_);
  for (const auto& ev : events) {
    auto owner = by_job_.find(ev.job);
    if (owner == by_job_.end()) continue;
    auto it = active_.find(owner->second);
    if (it == active_.end()) continue;
    Status s = ApplyJobEvent(*it->second, ev);
    if (!s.ok()) log::Error("experiment {}: {}", it->first.value, s.ToString());
  }
  for (auto it = active_.begin(); it != active_.end();) {
    Active& a = *it->second;
    Status s = Step(a);
    if (!s.ok()) log::Error("experiment {}: {}", a.row.id.value, s.ToString());
    if (a.ended) {
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
}

Status ExperimentController::StartFollowing(Active& a, const Trial& t) {
  TrialRun& run = a.runs[t.number];
  OutputFollower::Target target;
  target.experiment = a.row.id;
  target.trial = t.number;
  target.generation = run.generation = next_generation_++;
  if (a.spec().collect_stdout) {
    auto log = jobs_.OpenLog(a.owner, t.job, run.attempt, 0);
    if (log.ok()) target.log = std::move(*log);
    target.log_offset = run.offset;
  }
  if (a.spec().metrics_file) {
    if (run.metrics_path.empty()) {
      // Saved by a server that did not keep the path with the trial: the job's spec has it.
      CORRAL_ASSIGN_OR_RETURN(Job job, jobs_.Get(a.owner, t.job));
      run.metrics_path = MetricsFileOf(job).value_or("");
    }
    if (!run.metrics_path.empty()) target.file = exec::OpenFileLog(run.metrics_path);
    target.file_offset = run.file_offset;
  }
  follower_->Follow(std::move(target));
  return Status::Ok();
}

void ExperimentController::OnTrialOutput(TrialOutput out) {
  auto it = active_.find(out.experiment);
  if (it == active_.end()) return;
  Active& a = *it->second;
  auto t = a.trials.find(out.trial);
  if (t == a.trials.end() || !InFlight(t->second)) return;
  TrialRun& run = a.runs[out.trial];
  if (run.generation != out.generation) return;  // from before a restart of the attempt
  Trial trial = t->second;
  Status s = Status::Ok();
  if (!out.log_lines.empty() || !out.file_lines.empty()) {
    run.offset = out.log_offset;
    run.file_offset = out.file_offset;
    a.dirty = true;
    s = RecordLines(a, trial, out.log_lines, /*from_file=*/false);
    if (s.ok() && InFlight(trial)) s = RecordLines(a, trial, out.file_lines, /*from_file=*/true);
  }
  if (s.ok() && out.final && run.finishing)
    s = FinishTrial(a, trial, *run.finishing, /*read_rest=*/false);
  if (s.ok()) s = Step(a);
  if (!s.ok()) log::Error("experiment {}: {}", a.row.id.value, s.ToString());
  if (a.ended) active_.erase(it);
}

Status ExperimentController::RecordLines(Active& a, Trial& t, const std::vector<std::string>& lines,
                                         bool from_file) {
  const auto& file = a.spec().metrics_file;
  for (const auto& line : lines) {
    auto metrics = from_file && file && file->format == MetricsFileFormat::kJson
                       ? ParseJsonMetricLine(line)
                       : a.parser->Parse(line);
    if (metrics.empty()) continue;
    CORRAL_RETURN_IF_ERROR(Record(a, t, metrics, std::nullopt, /*pushed=*/false));
    if (!InFlight(t)) break;  // pruned: the rest of its output no longer counts
  }
  return Status::Ok();
}

Status ExperimentController::Step(Active& a) {
  // New output of every running trial (states change through job events only), unless the
  // follower reads it.
  std::vector<int> numbers;
  for (const auto& [n, t] : a.trials)
    if (!follower_ && t.state == kTrialRunning && t.job.valid()) numbers.push_back(n);
  for (int n : numbers) {
    Trial t = a.trials[n];
    if (a.spec().collect_stdout) CORRAL_RETURN_IF_ERROR(ReadOutput(a, t, /*final=*/false));
    if (InFlight(t)) CORRAL_RETURN_IF_ERROR(ReadMetricsFile(a, t, /*final=*/false));
  }
  CORRAL_RETURN_IF_ERROR(CheckEnd(a));
  CORRAL_RETURN_IF_ERROR(FillSlots(a));
  CORRAL_RETURN_IF_ERROR(CheckEnd(a));
  if (a.dirty) CORRAL_RETURN_IF_ERROR(Persist(a));
  return Status::Ok();
}

Status ExperimentController::FillSlots(Active& a) {
  if (a.ended || a.row.state != kExperimentRunning) return Status::Ok();
  const TrialCounts c = Count(a.trials);
  const int in_flight = c.pending + c.running;
  const int used = static_cast<int>(a.trials.size()) - c.cancelled;
  const int want = std::min(a.spec().parallel_trials - in_flight, a.spec().max_trials - used);
  if (want <= 0) return Status::Ok();
  const auto started = std::chrono::steady_clock::now();
  CORRAL_ASSIGN_OR_RETURN(auto asked, a.study->Ask(want));
  if (!asked.empty()) {
    const double ms = MillisSince(started) / static_cast<double>(asked.size());
    a.cost.suggestions += static_cast<int64_t>(asked.size());
    a.cost.ask_ms_total += ms * static_cast<double>(asked.size());
    a.cost.ask_ms_max = std::max(a.cost.ask_ms_max, ms);
    a.cost.ask_ms_last = ms;
  }
  a.dirty = true;
  for (const auto& st : asked) {
    Trial t;
    t.experiment = a.row.id;
    t.number = static_cast<int>(st.number);
    t.state = kTrialPending;
    json params = a.study->ParamsToJson(st);
    for (auto& [name, v] : params.items()) t.params[name] = ToParamValue(v);
    std::map<std::string, std::string> values;
    for (const auto& [placeholder, param] : a.spec().trial_parameters)
      values[placeholder] = params.contains(param) ? ParamText(params[param]) : "";
    TrialJobContext ctx{a.row.id.value, st.number, a.spec().name, options_.server_url};
    auto job =
        jobs_.Submit(a.owner, BuildTrialJob(a.spec(), values, ctx),
                     JobParent{ParentKind::kExperiment, a.row.id.value, std::to_string(st.number)});
    if (!job.ok()) {
      // The template itself cannot run here (too many GPUs, bad queue): every trial would fail.
      CORRAL_RETURN_IF_ERROR(a.study->TellFailed(st.number));
      t.state = kTrialFailed;
      CORRAL_RETURN_IF_ERROR(PersistTrial(a, t));
      for (const auto& rest : asked)
        if (rest.number > st.number) CORRAL_RETURN_IF_ERROR(a.study->TellFailed(rest.number));
      return End(a, kExperimentFailed, "trial job rejected: " + job.status().ToString());
    }
    t.job = job->id;
    by_job_[t.job] = a.row.id;
    a.runs[t.number] = TrialRun{};
    if (auto file = MetricsFileOf(*job)) {
      a.runs[t.number].metrics_path = *file;
      a.runs[t.number].file_offset = FileSize(*file);
    }
    CORRAL_RETURN_IF_ERROR(PersistTrial(a, t));
  }
  return Status::Ok();
}

Status ExperimentController::ReadOutput(Active& a, Trial& t, bool final) {
  TrialRun& run = a.runs[t.number];
  if (run.attempt == 0) return Status::Ok();  // never started: no output
  auto source = jobs_.OpenLog(a.owner, t.job, run.attempt, 0);
  if (!source.ok() || !*source) return Status::Ok();
  std::vector<std::string> lines = ReadNewLines(**source, run.offset, final);
  if (lines.empty()) return Status::Ok();
  a.dirty = true;
  return RecordLines(a, t, lines, /*from_file=*/false);
}

Status ExperimentController::ReadMetricsFile(Active& a, Trial& t, bool final) {
  const auto& file = a.spec().metrics_file;
  TrialRun& run = a.runs[t.number];
  if (!file) return Status::Ok();
  if (run.metrics_path.empty()) {
    // Saved by a server that did not keep the path with the trial: the job's spec has it.
    CORRAL_ASSIGN_OR_RETURN(Job job, jobs_.Get(a.owner, t.job));
    auto path = MetricsFileOf(job);
    if (!path) return Status::Ok();
    run.metrics_path = *path;
  }
  auto source = exec::OpenFileLog(run.metrics_path);
  std::vector<std::string> lines = ReadNewLines(*source, run.file_offset, final);
  if (lines.empty()) return Status::Ok();
  a.dirty = true;
  return RecordLines(a, t, lines, /*from_file=*/true);
}

Status ExperimentController::Record(Active& a, Trial& t, const std::vector<ParsedMetric>& metrics,
                                    std::optional<int64_t> explicit_step, bool pushed) {
  const ExperimentSpec& spec = a.spec();
  TrialRun& run = a.runs[t.number];
  std::optional<double> objective;
  std::optional<int64_t> step = explicit_step;
  for (const auto& m : metrics) {
    if (m.name == spec.objective.metric) objective = m.value;
    if (!step) {
      bool is_step = spec.step_metric.empty() ? (m.name == "step" || m.name == "epoch")
                                              : m.name == spec.step_metric;
      if (is_step && std::isfinite(m.value)) step = static_cast<int64_t>(m.value);
    }
  }
  // Values without a step of their own follow the last step seen.
  if (objective && !step) step = run.count + 1;
  if (!step) step = run.count;
  run.count = std::max(run.count, *step);
  std::vector<MetricPoint> points;
  const auto& extra = spec.objective.additional_metrics;
  for (const auto& m : metrics) {
    bool wanted = m.name == spec.objective.metric ||
                  std::find(extra.begin(), extra.end(), m.name) != extra.end() ||
                  pushed;  // pushed values are kept whatever their name
    if (wanted) points.push_back({t.job, m.name, *step, m.value, clock_.Now()});
  }
  if (!points.empty()) CORRAL_RETURN_IF_ERROR(store_.AppendMetrics(points));
  if (metric_listener_)
    for (const auto& p : points) metric_listener_(t.experiment, t.number, p.name, p.value);
  a.dirty = true;
  if (!objective || !std::isfinite(*objective)) return Status::Ok();
  auto prune = a.study->Report(t.number, *step, *objective);
  if (!prune.ok()) return Status::Ok();  // the study already closed the trial
  if (!*prune) return Status::Ok();
  log::Info("experiment {} trial {}: pruned at step {} ({}={})", a.row.id.value, t.number, *step,
            spec.objective.metric, *objective);
  auto cancelled = jobs_.Cancel(a.owner, t.job);
  if (!cancelled.ok())
    log::Warn("experiment {} trial {}: cancelling job {}: {}", a.row.id.value, t.number,
              t.job.value, cancelled.status().ToString());
  CORRAL_RETURN_IF_ERROR(a.study->TellPruned(t.number));
  t.state = kTrialPruned;
  t.objective = *objective;
  by_job_.erase(t.job);
  if (follower_) follower_->Forget(a.row.id, t.number);
  return PersistTrial(a, t);
}

Result<std::optional<double>> ExperimentController::Objective(const Active& a, const Trial& t) {
  CORRAL_ASSIGN_OR_RETURN(auto points, store_.ListMetrics(t.job, a.spec().objective.metric));
  std::optional<double> out;
  for (const auto& p : points) {
    if (!std::isfinite(p.value)) continue;
    switch (a.spec().objective.strategy) {
      case MetricStrategy::kLatest:
        out = p.value;
        break;
      case MetricStrategy::kMin:
        out = out ? std::min(*out, p.value) : p.value;
        break;
      case MetricStrategy::kMax:
        out = out ? std::max(*out, p.value) : p.value;
        break;
    }
  }
  return out;
}

Status ExperimentController::FinishTrial(Active& a, Trial& t, JobState state, bool read_rest) {
  if (read_rest && a.spec().collect_stdout)
    CORRAL_RETURN_IF_ERROR(ReadOutput(a, t, /*final=*/true));
  if (read_rest && InFlight(t)) CORRAL_RETURN_IF_ERROR(ReadMetricsFile(a, t, /*final=*/true));
  by_job_.erase(t.job);
  if (!InFlight(t)) return Status::Ok();  // pruned while reading the last lines
  if (state == JobState::kSucceeded) {
    CORRAL_ASSIGN_OR_RETURN(auto value, Objective(a, t));
    if (value) {
      CORRAL_RETURN_IF_ERROR(a.study->Tell(t.number, *value));
      t.state = kTrialSucceeded;
      t.objective = value;
      return PersistTrial(a, t);
    }
    log::Warn("experiment {} trial {}: job {} reported no {}", a.row.id.value, t.number,
              t.job.value, a.spec().objective.metric);
  }
  CORRAL_RETURN_IF_ERROR(a.study->TellFailed(t.number));
  t.state = kTrialFailed;
  return PersistTrial(a, t);
}

Status ExperimentController::CheckEnd(Active& a) {
  if (a.ended || a.row.state != kExperimentRunning) return Status::Ok();
  const ExperimentSpec& spec = a.spec();
  if (spec.objective.goal) {
    for (const auto& [n, t] : a.trials)
      if (t.state == kTrialSucceeded && t.objective &&
          !Better(spec.objective.direction, *spec.objective.goal, *t.objective))
        return End(a, kExperimentSucceeded, "goal reached by trial " + std::to_string(n));
  }
  const TrialCounts c = Count(a.trials);
  if (spec.max_failed_trials && c.failed > *spec.max_failed_trials)
    return End(a, kExperimentFailed,
               std::to_string(c.failed) + " trials failed (maxFailedTrialCount " +
                   std::to_string(*spec.max_failed_trials) + ")");
  const int used = static_cast<int>(a.trials.size()) - c.cancelled;
  if (c.pending + c.running == 0) {
    if (used >= spec.max_trials) return End(a, kExperimentSucceeded, "maxTrialCount reached");
    if (a.study->exhausted()) return End(a, kExperimentSucceeded, "search space exhausted");
  }
  return Status::Ok();
}

void ExperimentController::CancelInFlight(Active& a) {
  for (auto& [n, t] : a.trials) {
    if (!InFlight(t)) continue;
    if (follower_) follower_->Forget(a.row.id, n);
    if (t.job.valid()) {
      auto r = jobs_.Cancel(a.owner, t.job);
      if (!r.ok())
        log::Warn("experiment {} trial {}: cancelling job {}: {}", a.row.id.value, n, t.job.value,
                  r.status().ToString());
      by_job_.erase(t.job);
    }
    Status s = a.study->TellFailed(n);
    if (!s.ok()) log::Warn("experiment {} trial {}: {}", a.row.id.value, n, s.ToString());
    t.state = kTrialCancelled;
    s = store_.UpsertTrial(t);
    if (!s.ok()) log::Error("experiment {} trial {}: {}", a.row.id.value, n, s.ToString());
  }
}

Status ExperimentController::End(Active& a, const std::string& state, const std::string& message) {
  CancelInFlight(a);
  a.row.state = state;
  a.row.ended_at = clock_.Now();
  a.message = message;
  a.ended = true;
  log::Info("experiment {} ({}): {}: {}", a.row.id.value, a.row.name, state, message);
  return Persist(a);
}

}  // namespace corral::experiments
