#include "notebook/jupyter_prober.h"

#include <vector>

#include "notebook/loopback_http.h"

namespace corral::notebook {
namespace {

using Steady = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kStartTimeout{500};
constexpr std::chrono::milliseconds kCheckTimeout{5000};

}  // namespace

JupyterProber::JupyterProber(std::function<void(ProbeResult)> sink)
    : sink_(std::move(sink)), thread_([this] { Run(); }) {}

JupyterProber::~JupyterProber() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void JupyterProber::Watch(ProbeTarget target) {
  {
    std::lock_guard lock(mu_);
    NotebookId id = target.id;
    entries_[id] = Entry{std::move(target), false, Steady::now()};
  }
  changed_.notify_all();
}

void JupyterProber::Forget(NotebookId id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
}

void JupyterProber::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto next = Steady::time_point::max();
    std::optional<NotebookId> due;
    for (auto& [id, e] : entries_) {
      if (e.due < next) {
        next = e.due;
        due = id;
      }
    }
    if (!due || next > Steady::now()) {
      if (next == Steady::time_point::max()) {
        changed_.wait(lock);
      } else {
        changed_.wait_until(lock, next);
      }
      continue;
    }
    // Probe a copy without the lock, so that Watch/Forget never wait for a slow server.
    Entry entry = entries_[*due];
    lock.unlock();
    Probe(entry);
    lock.lock();
    auto it = entries_.find(*due);
    if (it != entries_.end() && it->second.target.attempt == entry.target.attempt &&
        it->second.target.port == entry.target.port) {
      it->second.answered = entry.answered;
      it->second.due = entry.due;
    }
  }
}

void JupyterProber::Probe(Entry& e) {
  const ProbeTarget& t = e.target;
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "token " + t.token}};
  ProbeResult result{t.id, t.attempt, false, std::nullopt, ""};
  if (!e.answered) {
    auto reply = LoopbackGet(t.port, t.base_path + "api/status", auth, kStartTimeout);
    if (!reply.ok() || reply->status != 200) {
      e.due = Steady::now() + kStartInterval;
      return;
    }
    e.answered = true;
    e.due = Steady::now() + t.idle_check_interval;
    result.first_answer = true;
    sink_(std::move(result));
    return;
  }
  e.due = Steady::now() + t.idle_check_interval;
  auto status = LoopbackGet(t.port, t.base_path + "api/status", auth, kCheckTimeout);
  auto kernels =
      LoopbackGet(t.port, t.base_path + "api/kernels?no_track_activity=1", auth, kCheckTimeout);
  if (!status.ok() || !kernels.ok()) {
    result.error = (!status.ok() ? status.status() : kernels.status()).message();
  } else if (status->status != 200 || kernels->status != 200) {
    result.error = "Jupyter answered HTTP " + std::to_string(status->status) + " / " +
                   std::to_string(kernels->status);
  } else if (auto activity = ParseJupyterActivity(status->body, kernels->body); activity.ok()) {
    result.activity = std::move(*activity);
  } else {
    result.error = activity.status().message();
  }
  sink_(std::move(result));
}

}  // namespace corral::notebook
