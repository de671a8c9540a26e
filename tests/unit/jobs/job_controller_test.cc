#include "jobs/job_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <set>

#include "gpu/inventory.h"
#include "jobs/rendezvous.h"
#include "store/store.h"

namespace corral::jobs {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

// Records what the controller asks; the test plays the backend's part by hand.
class FakeExecutor final : public exec::Executor {
 public:
  void SetEventSink(EventSink) override {}
  void Launch(const exec::LaunchSpec& spec) override { launches.push_back(spec); }
  void Terminate(JobId job, int attempt, Duration) override {
    terminations.push_back({job, attempt});
  }
  void Adopt(const exec::ReplicaRef&, const std::string&) override {}
  std::string LogPath(const exec::ReplicaRef&) const override { return ""; }
  void Shutdown() override {}

  std::vector<exec::LaunchSpec> launches;
  std::vector<std::pair<JobId, int>> terminations;
};

class Recorder final : public JobObserver {
 public:
  void OnJobEvent(const JobEvent& event) override { events.push_back(event); }
  std::vector<std::string> Kinds(JobId job) const {
    std::vector<std::string> out;
    for (const auto& e : events)
      if (e.job == job) out.emplace_back(JobEventKindName(e.kind));
    return out;
  }
  std::vector<JobEvent> events;
};

class SecretEnv final : public LaunchEnvProvider {
 public:
  void AddLaunchEnv(const Job& job, std::map<std::string, std::string>& env) override {
    env.emplace("SECRET_TOKEN", "s3cret-" + std::to_string(job.id.value));
  }
};

class JobControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("corral-jobs-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto store = store::OpenSqliteStore((dir_ / "corral.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto user = store_->CreateUser("alice", Role::kUser, clock_.Now());
    ASSERT_TRUE(user.ok());
    caller_ = {user->id, user->name, user->role};
  }
  void TearDown() override {
    controller_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void MakeController(std::vector<gpu::NodeInventory> nodes) {
    controller_ = std::make_unique<JobController>(*store_, executor_, sched::MakeDefaultScheduler(),
                                                  std::move(nodes), clock_);
    controller_->AddObserver(&first_);
    controller_->AddObserver(&second_);
  }

  JobSpec Spec(int gpus = 1, int replicas = 1) {
    JobSpec spec;
    spec.name = "train";
    spec.command = {"python3", "train.py"};
    spec.resources.gpus = gpus;
    spec.replicas = replicas;
    return spec;
  }

  Job Submit(JobSpec spec, std::optional<JobParent> parent = std::nullopt) {
    auto job = controller_->Submit(caller_, std::move(spec), std::move(parent));
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return *job;
  }

  const exec::LaunchSpec& LastLaunch(JobId job) {
    for (auto it = executor_.launches.rbegin(); it != executor_.launches.rend(); ++it)
      if (it->job == job) return *it;
    ADD_FAILURE() << "job " << job.value << " was never launched";
    static exec::LaunchSpec none;
    return none;
  }

  void Pass() { ASSERT_TRUE(controller_->SchedulePass().ok()); }

  void Report(JobId job, exec::ExecEvent::Kind kind, std::optional<int> code = std::nullopt,
              std::optional<int> signal = std::nullopt) {
    const exec::LaunchSpec& launch = LastLaunch(job);
    for (const auto& r : launch.replicas) {
      exec::ExecEvent ev;
      ev.kind = kind;
      ev.ref = {job, launch.attempt, r.index};
      ev.external_id = "ext-" + std::to_string(job.value) + "-" + std::to_string(r.index);
      ev.time = clock_.Now();
      ev.exit_code = code;
      ev.term_signal = signal;
      controller_->OnExecEvent(ev);
    }
  }

  JobState Stored(JobId id) {
    auto job = store_->GetJob(id);
    EXPECT_TRUE(job.ok() && *job);
    return (*job)->state;
  }

  fs::path dir_;
  FakeClock clock_;
  FakeExecutor executor_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<JobController> controller_;
  Caller caller_;
  Recorder first_, second_;
};

TEST_F(JobControllerTest, EventsReachEveryObserverInOrder) {
  MakeController(gpu::SimulatedNodes(1, 2));
  Job job = Submit(Spec());
  Pass();
  Report(job.id, exec::ExecEvent::Kind::kStarted);
  clock_.Advance(Duration(5000));
  Report(job.id, exec::ExecEvent::Kind::kExited, 0);

  EXPECT_THAT(first_.Kinds(job.id), ElementsAre("submitted", "scheduled", "started", "succeeded"));
  ASSERT_EQ(first_.events.size(), second_.events.size());
  for (size_t i = 0; i < first_.events.size(); ++i) {
    EXPECT_EQ(first_.events[i].seq, second_.events[i].seq);
    if (i > 0) {
      EXPECT_GT(first_.events[i].seq, first_.events[i - 1].seq);
    }
  }
  const JobEvent& done = first_.events.back();
  EXPECT_EQ(done.state, JobState::kSucceeded);
  EXPECT_EQ(done.attempt, 1);
  EXPECT_EQ(done.exit_code, 0);
  EXPECT_EQ(done.time, clock_.Now());
  EXPECT_EQ(Stored(job.id), JobState::kSucceeded);
  // The stored log says the same.
  auto stored = store_->EventsAfter(0, 100, std::nullopt);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 4u);
  EXPECT_EQ(stored->back().type, "succeeded");
  EXPECT_EQ(stored->back().seq, done.seq);
}

TEST_F(JobControllerTest, PreemptedAttemptRequeuesWithoutConsumingARetry) {
  MakeController(gpu::SimulatedNodes(1, 1));
  JobSpec filler = Spec();
  filler.priority = PriorityClass::kOpportunistic;
  filler.retry.max_retries = 0;  // a preemption must not count as the one failure allowed
  Job victim = Submit(filler);
  Pass();
  Report(victim.id, exec::ExecEvent::Kind::kStarted);

  JobSpec urgent = Spec();
  urgent.priority = PriorityClass::kInteractive;
  Job notebook = Submit(urgent);
  Pass();
  ASSERT_THAT(executor_.terminations, ElementsAre(std::pair{victim.id, 1}));
  Report(victim.id, exec::ExecEvent::Kind::kExited, std::nullopt, 15);

  EXPECT_THAT(first_.Kinds(victim.id), ElementsAre("submitted", "scheduled", "started",
                                                   "preempting", "preempted", "requeued"));
  const JobEvent& preempted = first_.events[first_.events.size() - 2];
  EXPECT_EQ(preempted.state, JobState::kPreempted);
  EXPECT_EQ(first_.events.back().state, JobState::kPending);
  EXPECT_EQ(Stored(victim.id), JobState::kPending);
  auto job = controller_->Get(caller_, victim.id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->attempts.back().end_reason, "preempted");

  // The notebook runs and ends; the victim gets a second attempt, still with no retry spent.
  Pass();
  Report(notebook.id, exec::ExecEvent::Kind::kStarted);
  Report(notebook.id, exec::ExecEvent::Kind::kExited, 0);
  Pass();
  EXPECT_EQ(LastLaunch(victim.id).attempt, 2);
  Report(victim.id, exec::ExecEvent::Kind::kStarted);
  Report(victim.id, exec::ExecEvent::Kind::kExited, 0);
  EXPECT_EQ(Stored(victim.id), JobState::kSucceeded);
}

TEST_F(JobControllerTest, PreemptionFailsTheJobWhenItMayNotRestart) {
  MakeController(gpu::SimulatedNodes(1, 1));
  JobSpec filler = Spec();
  filler.priority = PriorityClass::kOpportunistic;
  filler.retry.max_retries = 3;  // retries are for failures, not for preemption
  filler.retry.retry_on_preemption = false;
  Job victim = Submit(filler);
  Pass();
  Report(victim.id, exec::ExecEvent::Kind::kStarted);
  JobSpec urgent = Spec();
  urgent.priority = PriorityClass::kInteractive;
  Submit(urgent);
  Pass();
  Report(victim.id, exec::ExecEvent::Kind::kExited, std::nullopt, 15);

  EXPECT_THAT(second_.Kinds(victim.id),
              ElementsAre("submitted", "scheduled", "started", "preempting", "failed"));
  EXPECT_EQ(second_.events.back().reason, "preempted");
  auto stored = store_->GetJob(victim.id);
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_EQ((*stored)->state, JobState::kFailed);
  EXPECT_EQ((*stored)->reason, "preempted");
  EXPECT_EQ((*stored)->attempts.size(), 1u);
}

TEST_F(JobControllerTest, NodeDownRequeuesItsJobsAndTheNodeComesBack) {
  MakeController(gpu::SimulatedNodes(2, 1));
  Job gang = Submit(Spec(1, 2));  // one replica on each node
  Pass();
  Report(gang.id, exec::ExecEvent::Kind::kStarted);

  controller_->OnNodeEvent({exec::NodeEvent::Kind::kDown, "sim-1", "", 0, 0, 0, "unreachable"});
  // The surviving replica is stopped: a gang cannot go on without a member.
  ASSERT_THAT(executor_.terminations, ElementsAre(std::pair{gang.id, 1}));
  exec::ExecEvent exited;
  exited.kind = exec::ExecEvent::Kind::kExited;
  exited.ref = {gang.id, 1, 0};
  exited.term_signal = 15;
  exited.time = clock_.Now();
  controller_->OnExecEvent(exited);

  EXPECT_THAT(first_.Kinds(gang.id),
              ElementsAre("submitted", "scheduled", "replica_started", "replica_started", "started",
                          "preempted", "requeued"));
  EXPECT_EQ(first_.events.back().reason, "node sim-1 went down");
  EXPECT_EQ(Stored(gang.id), JobState::kPending);
  auto nodes = controller_->Nodes();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_FALSE(nodes[1].up);

  // Two replicas need two nodes: nothing starts until sim-1 is back.
  Pass();
  EXPECT_EQ(executor_.launches.size(), 1u);
  controller_->OnNodeEvent({exec::NodeEvent::Kind::kUp, "sim-1", "10.0.0.2", 0, 0, 0, ""});
  Pass();
  ASSERT_EQ(executor_.launches.size(), 2u);
  EXPECT_EQ(LastLaunch(gang.id).attempt, 2);
}

TEST_F(JobControllerTest, NewNodeJoinsTheCluster) {
  MakeController(gpu::SimulatedNodes(1, 1));
  // Two 1-GPU replicas can never fit one 1-GPU node: refused until a second node joins.
  EXPECT_FALSE(controller_->Submit(caller_, Spec(1, 2)).ok());
  controller_->OnNodeEvent({exec::NodeEvent::Kind::kUp, "gpu-7", "10.0.0.7", 1, 8, 65536, ""});
  Submit(Spec(1, 2));
  Pass();
  ASSERT_EQ(executor_.launches.size(), 1u);
  const auto& launch = executor_.launches[0];
  ASSERT_EQ(launch.replicas.size(), 2u);
  std::set<std::string> nodes{launch.replicas[0].node, launch.replicas[1].node};
  EXPECT_EQ(nodes, (std::set<std::string>{"sim-0", "gpu-7"}));
  EXPECT_EQ(controller_->Nodes().back().address, "10.0.0.7");
}

TEST_F(JobControllerTest, ParentLinkIsStoredAndCarriedByEvents) {
  MakeController(gpu::SimulatedNodes(1, 1));
  JobParent parent{ParentKind::kExperiment, 42, "7"};
  Job job = Submit(Spec(), parent);
  ASSERT_TRUE(store_->Flush().ok());
  // A separate connection reads only what was committed.
  auto reader = store::OpenSqliteStoreReadOnly((dir_ / "corral.db").string());
  ASSERT_TRUE(reader.ok());
  auto stored = (*reader)->GetJob(job.id);
  ASSERT_TRUE(stored.ok() && *stored);
  ASSERT_TRUE((*stored)->parent.has_value());
  EXPECT_EQ(*(*stored)->parent, parent);
  ASSERT_FALSE(first_.events.empty());
  EXPECT_EQ(first_.events.back().parent, parent);
  // A job without a parent stays without one.
  Job plain = Submit(Spec());
  auto again = store_->GetJob(plain.id);
  ASSERT_TRUE(again.ok() && *again);
  EXPECT_FALSE((*again)->parent.has_value());
}

TEST_F(JobControllerTest, LaunchEnvIsAddedAtLaunchAndNeverStored) {
  MakeController(gpu::SimulatedNodes(1, 1));
  SecretEnv secrets;
  controller_->AddLaunchEnvProvider(&secrets);
  JobSpec spec = Spec();
  spec.env["MODE"] = "fast";
  Job job = Submit(spec);
  Pass();
  const exec::LaunchSpec& launch = LastLaunch(job.id);
  EXPECT_EQ(launch.env.at("SECRET_TOKEN"), "s3cret-" + std::to_string(job.id.value));
  EXPECT_EQ(launch.env.at("MODE"), "fast");
  ASSERT_TRUE(store_->Flush().ok());
  auto stored = store_->GetJob(job.id);
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_EQ((*stored)->spec.env.count("SECRET_TOKEN"), 0u);
  auto live = controller_->Get(caller_, job.id);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->spec.env.count("SECRET_TOKEN"), 0u);
}

TEST_F(JobControllerTest, QueuedReplicaKeepsItsExternalIdBeforeItRuns) {
  MakeController(gpu::SimulatedNodes(1, 1));
  Job job = Submit(Spec());
  Pass();
  exec::ExecEvent queued;
  queued.kind = exec::ExecEvent::Kind::kQueued;
  queued.ref = {job.id, 1, 0};
  queued.external_id = "slurm:4711";
  queued.placement = exec::ReplicaPlacementReport{"sim-0", "127.0.0.1"};
  controller_->OnExecEvent(queued);
  EXPECT_THAT(first_.Kinds(job.id), ElementsAre("submitted", "scheduled", "replica_queued"));
  EXPECT_EQ(first_.events.back().replica, 0);
  auto stored = store_->GetJob(job.id);
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_EQ((*stored)->state, JobState::kStarting);
  EXPECT_EQ((*stored)->attempts.back().replicas[0].external_id, "slurm:4711");
}

TEST_F(JobControllerTest, RendezvousFollowsThePlacement) {
  std::vector<gpu::NodeInventory> nodes = gpu::SimulatedNodes(2, 2);
  nodes[0].address = "10.1.0.1";
  nodes[1].address = "10.1.0.2";
  MakeController(nodes);
  Job job = Submit(Spec(1, 4));  // four 1-GPU replicas on two 2-GPU nodes
  Pass();
  const exec::LaunchSpec& launch = LastLaunch(job.id);
  ASSERT_EQ(launch.replicas.size(), 4u);
  std::map<std::string, std::vector<std::string>> local_ranks;
  for (const auto& r : launch.replicas) {
    EXPECT_EQ(r.env.at("WORLD_SIZE"), "4");
    EXPECT_EQ(r.env.at("RANK"), std::to_string(r.index));
    EXPECT_EQ(r.env.at("MASTER_ADDR"), launch.replicas[0].address);
    EXPECT_EQ(r.env.at("MASTER_PORT"), std::to_string(RendezvousPort(job.id, 1)));
    EXPECT_EQ(r.env.at("LOCAL_WORLD_SIZE"), "2");
    EXPECT_EQ(r.address, r.node == "sim-0" ? "10.1.0.1" : "10.1.0.2");
    local_ranks[r.node].push_back(r.env.at("LOCAL_RANK"));
  }
  EXPECT_THAT(local_ranks["sim-0"], ElementsAre("0", "1"));
  EXPECT_THAT(local_ranks["sim-1"], ElementsAre("0", "1"));
  EXPECT_EQ(launch.replicas[0].env.at("NODE_RANK"), "0");
}

TEST(RendezvousTest, RanksAndPortsPerAttempt) {
  auto env = RendezvousEnv({{"a", "10.0.0.1"}, {"b", "10.0.0.2"}, {"a", "10.0.0.1"}}, 29999);
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[0].at("NODE_RANK"), "0");
  EXPECT_EQ(env[1].at("NODE_RANK"), "1");
  EXPECT_EQ(env[2].at("NODE_RANK"), "0");
  EXPECT_EQ(env[2].at("LOCAL_RANK"), "1");
  EXPECT_EQ(env[1].at("LOCAL_RANK"), "0");
  EXPECT_EQ(env[1].at("MASTER_ADDR"), "10.0.0.1");
  EXPECT_EQ(env[0].at("MASTER_PORT"), "29999");
  EXPECT_NE(RendezvousPort(JobId(5), 1), RendezvousPort(JobId(5), 2));
  for (int attempt = 1; attempt < 50; ++attempt) {
    int port = RendezvousPort(JobId(123456), attempt);
    EXPECT_GE(port, 29500);
    EXPECT_LT(port, 32768);
  }
}

TEST_F(JobControllerTest, CountActiveGroupsByQueuePriorityAndState) {
  MakeController(gpu::SimulatedNodes(1, 2));
  Job running = Submit(Spec(2));
  Pass();
  Report(running.id, exec::ExecEvent::Kind::kStarted);
  JobSpec high = Spec(1, 2);
  high.priority = PriorityClass::kHigh;
  Submit(high);
  Submit(high);
  Pass();  // no room: both wait

  auto counts = controller_->CountActive();
  ASSERT_EQ(counts.size(), 2u);
  int64_t pending = 0, pending_gpus = 0, run = 0;
  for (const auto& c : counts) {
    EXPECT_EQ(c.queue, "default");
    if (c.state == JobState::kPending) {
      EXPECT_EQ(c.priority, PriorityClass::kHigh);
      pending += c.jobs;
      pending_gpus += c.gpus;
    } else {
      EXPECT_EQ(c.state, JobState::kRunning);
      EXPECT_EQ(c.priority, PriorityClass::kNormal);
      run += c.jobs;
    }
  }
  EXPECT_EQ(pending, 2);
  EXPECT_EQ(pending_gpus, 4);
  EXPECT_EQ(run, 1);
  Report(running.id, exec::ExecEvent::Kind::kExited, 0);
  for (const auto& c : controller_->CountActive()) EXPECT_NE(c.state, JobState::kRunning);
}

}  // namespace
}  // namespace corral::jobs
