#include "exec/local_account.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace corral::exec {
namespace {

RunAs FromPasswd(const passwd& pw) {
  return RunAs{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : "",
               pw.pw_shell ? pw.pw_shell : ""};
}

template <class Lookup>
Result<RunAs> Find(const std::string& what, Lookup lookup) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  int err = 0;
  while ((err = lookup(&pw, buf.data(), buf.size(), &found)) == ERANGE && buf.size() < (1u << 20))
    buf.resize(buf.size() * 2);
  if (err != 0) {
    return Internal("looking up the local account " + what + ": " + std::strerror(err));
  }
  if (found == nullptr) return NotFound("there is no local account " + what);
  return FromPasswd(pw);
}

}  // namespace

Result<RunAs> LookupLocalAccount(const std::string& name) {
  return Find("'" + name + "'", [&](passwd* pw, char* buf, size_t size, passwd** out) {
    return ::getpwnam_r(name.c_str(), pw, buf, size, out);
  });
}

Result<RunAs> LookupLocalAccount(uid_t uid) {
  return Find("with uid " + std::to_string(uid),
              [&](passwd* pw, char* buf, size_t size, passwd** out) {
                return ::getpwuid_r(uid, pw, buf, size, out);
              });
}

Result<RunAs> ResolveJobAccount(const std::string& corral_user, const std::string& unix_user,
                                const JobAccountPolicy& policy) {
  if (!policy.switch_accounts) {
    uid_t self = ::geteuid();
    Result<RunAs> own = LookupLocalAccount(self);
    if (own.ok()) return own;
    return RunAs{std::to_string(self), self, ::getegid(), "", ""};
  }
  if (!unix_user.empty()) {
    Result<RunAs> mapped = LookupLocalAccount(unix_user);
    if (!mapped.ok()) {
      return FailedPrecondition("user '" + corral_user + "' is mapped to the local account '" +
                                unix_user + "', which does not exist");
    }
    return mapped;
  }
  Result<RunAs> same_name = LookupLocalAccount(corral_user);
  if (same_name.ok() && same_name->uid != 0) return same_name;
  Result<RunAs> fallback = LookupLocalAccount(policy.default_job_user);
  if (!fallback.ok()) {
    return FailedPrecondition("user '" + corral_user +
                              "' has no local account of that name and the default job account '" +
                              policy.default_job_user + "' does not exist");
  }
  if (fallback->uid == 0) {
    return FailedPrecondition("the default job account '" + policy.default_job_user +
                              "' is uid 0; jobs run as root only for a user mapped to it "
                              "explicitly");
  }
  return fallback;
}

}  // namespace corral::exec
