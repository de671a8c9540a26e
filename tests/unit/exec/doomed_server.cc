// A stand-in for a server that dies with SIGKILL right after launching a replica. It is its own
// process (not a fork of the multi-threaded test), so nothing it needs can be locked by a thread
// that does not exist in it.
//
// Usage: exec_doomed_server ROOT JOB SCRIPT
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "unit/exec/event_collector.h"

int main(int argc, char** argv) {
  using namespace corral::exec;
  using namespace corral::exec::testing;
  if (argc != 4) {
    std::fputs("usage: exec_doomed_server ROOT JOB SCRIPT\n", stderr);
    return 2;
  }
  const int64_t job = std::atoll(argv[2]);
  LocalExecutor doomed(OptionsFor(argv[1]));
  EventCollector events;
  doomed.SetEventSink(events.Sink());
  doomed.Launch(ScriptSpec(job, argv[3]));
  if (!events.WaitFor(ExecEvent::Kind::kStarted, ReplicaRef{corral::JobId(job), 1, 0},
                      std::chrono::seconds(60))) {
    std::fputs("exec_doomed_server: the replica did not start\n", stderr);
    return 1;
  }
  ::kill(::getpid(), SIGKILL);
  return 1;
}
