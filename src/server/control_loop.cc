#include <utility>  // before Asio: see NOTES (g++ 12 + Boost 1.74)

#include "server/control_loop.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

#include "common/log.h"

namespace corral::server {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

double SecondsSince(SteadyClock::time_point start, SteadyClock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

}  // namespace

struct ControlLoop::Impl {
  net::io_context io{1};
  net::executor_work_guard<net::io_context::executor_type> guard{io.get_executor()};
  net::steady_timer timer{io};
};

ControlLoop::ControlLoop(store::Store& store, Duration tick)
    : store_(store), tick_(tick), impl_(std::make_unique<Impl>()) {}

ControlLoop::~ControlLoop() { Stop(); }

void ControlLoop::Start() {
  ArmTick();
  thread_ = std::thread([this] {
    // Commits, passes and ticks are guarded here too: whatever throws is logged and the loop
    // goes on with the next handler.
    for (;;) {
      try {
        impl_->io.run();
        return;
      } catch (const std::exception& e) {
        log::Error("control thread: {}", e.what());
      } catch (...) {
        log::Error("control thread: a non-standard exception");
      }
    }
  });
}

void ControlLoop::Stop() {
  if (!thread_.joinable()) return;
  net::post(impl_->io, [this] {
    Commit();
    impl_->timer.cancel();
    impl_->guard.reset();
  });
  thread_.join();
}

void ControlLoop::Post(std::function<void()> fn) {
  PostTimed(api::CurrentTaskName(), [this, fn = std::move(fn)] {
    // One failing command must not take the loop, and every later request, with it.
    try {
      fn();
    } catch (const std::exception& e) {
      log::Error("control thread: a command threw: {}", e.what());
    } catch (...) {
      log::Error("control thread: a command threw a non-standard exception");
    }
    AfterWork();
  });
}

void ControlLoop::PostTimed(const char* name, std::function<void()> fn) {
  if (!stats_) {
    net::post(impl_->io, std::move(fn));
    return;
  }
  stats_->TaskQueued();
  net::post(impl_->io, [this, name, posted = SteadyClock::now(), fn = std::move(fn)] {
    auto start = SteadyClock::now();
    stats_->TaskDequeued();
    fn();
    stats_->RecordTask(name, SecondsSince(posted, start), SecondsSince(start, SteadyClock::now()));
  });
}

void ControlLoop::AfterCommit(std::function<void(Status)> fn) {
  waiting_commit_.push_back(std::move(fn));
  AfterWork();
}

void ControlLoop::AfterWork() {
  if (!commit_posted_) {
    commit_posted_ = true;
    PostTimed("store.commit", [this] { Commit(); });
  }
  if (jobs_ && jobs_->pass_wanted() && !pass_posted_) {
    pass_posted_ = true;
    PostTimed("sched.pass", [this] { Pass(); });
  }
}

void ControlLoop::Commit() {
  commit_posted_ = false;
  // Only commits that write something are timed: most tasks write nothing.
  const bool writes = store_.HasUncommittedWrites();
  auto start = SteadyClock::now();
  Status s = store_.Flush();
  if (stats_ && writes) stats_->RecordCommit(SecondsSince(start, SteadyClock::now()));
  if (!s.ok()) log::Error("committing the store: {}", s.ToString());
  auto waiting = std::move(waiting_commit_);
  waiting_commit_.clear();
  for (auto& fn : waiting) fn(s);
  if (!s.ok() && on_commit_failure_) on_commit_failure_(s);
}

void ControlLoop::Pass() {
  pass_posted_ = false;
  if (!jobs_) return;
  // A pass with nothing new to decide returns at once: only real passes are timed.
  const bool wanted = jobs_->pass_wanted();
  auto start = SteadyClock::now();
  Status s = jobs_->SchedulePass();
  if (stats_ && wanted) stats_->RecordPass(SecondsSince(start, SteadyClock::now()));
  if (!s.ok()) log::Error("scheduling pass: {}", s.ToString());
  AfterWork();
}

void ControlLoop::ArmTick() {
  impl_->timer.expires_after(std::chrono::milliseconds(tick_.count()));
  impl_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // Time alone can change decisions (reservations, fair-share decay): pass at least once a tick.
    if (jobs_ && !pass_posted_) {
      pass_posted_ = true;
      PostTimed("sched.pass", [this] { Pass(); });
    }
    ArmTick();
  });
}

}  // namespace corral::server
