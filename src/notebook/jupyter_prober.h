#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "model/notebook.h"
#include "notebook/jupyter_activity.h"

namespace corral::notebook {

struct ProbeTarget {
  NotebookId id;
  int attempt = 0;
  int port = 0;
  std::string base_path;  // "/nb/<id>/"
  std::string token;
  // Between idle checks once the server has answered; until then it is asked every
  // JupyterProber::kStartInterval, so that readiness is seen within one interval.
  Duration idle_check_interval{60'000};
};

struct ProbeResult {
  NotebookId id;
  int attempt = 0;
  bool first_answer = false;                // the server answered /api/status for the first time
  std::optional<JupyterActivity> activity;  // an idle check's findings
  std::string error;                        // an idle check that got no usable answer
};

// Asks notebooks' Jupyter servers, on a thread of its own, first whether they answer (every
// 50 ms from launch until the first 200, the notebook's readiness) and then what they are doing
// (/api/status and /api/kernels, every idle_check_interval). Results go to `sink` from that
// thread; the server re-posts them onto the control thread.
class JupyterProber {
 public:
  static constexpr Duration kStartInterval{50};

  explicit JupyterProber(std::function<void(ProbeResult)> sink);
  ~JupyterProber();
  JupyterProber(const JupyterProber&) = delete;
  JupyterProber& operator=(const JupyterProber&) = delete;

  // Starts (or restarts, for a new attempt) asking the notebook's server whether it answers.
  void Watch(ProbeTarget target);
  void Forget(NotebookId id);

 private:
  struct Entry {
    ProbeTarget target;
    bool answered = false;
    std::chrono::steady_clock::time_point due;
  };
  void Run();
  void Probe(Entry& entry);

  std::function<void(ProbeResult)> sink_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<NotebookId, Entry> entries_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace corral::notebook
