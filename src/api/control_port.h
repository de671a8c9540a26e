#pragma once

#include <functional>
#include <future>
#include <optional>
#include <type_traits>

#include "common/status.h"

namespace corral::api {

// The door to the control thread, which alone owns jobs, the scheduler and the store. Request
// threads hand it work and wait for the answer.
class ControlPort {
 public:
  virtual ~ControlPort() = default;
  // Runs fn on the control thread.
  virtual void Post(std::function<void()> fn) = 0;
  // Called on the control thread: runs fn (still on the control thread) once everything written
  // to the store so far is durable, with the commit's status. Many calls share one commit.
  virtual void AfterCommit(std::function<void(Status)> fn) = 0;
};

// The name under which the tasks this thread posts are timed (corral_control_task_*_seconds on
// /metrics) while the scope lives. Names are string literals: a small, fixed set.
class TaskNameScope {
 public:
  explicit TaskNameScope(const char* name);
  ~TaskNameScope();
  TaskNameScope(const TaskNameScope&) = delete;
  TaskNameScope& operator=(const TaskNameScope&) = delete;

 private:
  const char* previous_;
};

// The name of the innermost TaskNameScope on this thread, or "unnamed".
const char* CurrentTaskName();

// Posts fn under `name` (a string literal).
template <class F>
void PostNamed(ControlPort& port, const char* name, F fn) {
  TaskNameScope scope(name);
  port.Post(std::move(fn));
}

// Runs f on the control thread and waits for its result. An exception thrown by f is rethrown
// here, to the caller's own barrier, instead of leaving the caller waiting for ever.
template <class F>
auto CallOnControl(ControlPort& port, F f) -> std::invoke_result_t<F> {
  using R = std::invoke_result_t<F>;
  std::promise<R> promise;
  auto future = promise.get_future();
  port.Post([&] {
    try {
      if constexpr (std::is_void_v<R>) {
        f();
        promise.set_value();
      } else {
        promise.set_value(f());
      }
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  });
  return future.get();
}

// Runs f on the control thread and waits until what it wrote is durable. f returns a Result-like
// value; when the commit fails, its Status replaces that value.
template <class F>
auto CallDurable(ControlPort& port, F f) -> std::invoke_result_t<F> {
  using R = std::invoke_result_t<F>;
  std::promise<R> promise;
  auto future = promise.get_future();
  port.Post([&] {
    std::optional<R> result;
    try {
      result.emplace(f());
    } catch (...) {
      promise.set_exception(std::current_exception());
      return;
    }
    R r = std::move(*result);
    if (!r.ok()) {
      promise.set_value(std::move(r));
      return;
    }
    auto holder = std::make_shared<R>(std::move(r));
    port.AfterCommit([&promise, holder](Status commit) {
      if (commit.ok()) {
        promise.set_value(std::move(*holder));
      } else {
        promise.set_value(R(commit));
      }
    });
  });
  return future.get();
}

}  // namespace corral::api
