#pragma once

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

// glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link against it; call the system
// calls directly (Linux >= 5.3).
namespace corral::exec {

inline int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

inline int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

}  // namespace corral::exec
