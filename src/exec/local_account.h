#pragma once

#include <sys/types.h>

#include <string>

#include "common/result.h"
#include "exec/executor.h"

namespace corral::exec {

// The local account `name` (or `uid`), from the system's account database (NSS).
Result<RunAs> LookupLocalAccount(const std::string& name);
Result<RunAs> LookupLocalAccount(uid_t uid);

struct JobAccountPolicy {
  // False when the server cannot switch accounts (it does not run as root): every job runs as
  // the server's own account.
  bool switch_accounts = true;
  // For users with no mapping and no local account of their own name.
  std::string default_job_user = "nobody";
};

// The account a Corral user's jobs run as: the account the user is mapped to (`unix_user`, set
// by an admin; the only way to get uid 0), else the local account of the same name unless it is
// uid 0, else the policy's default account (never uid 0). An error says why none applies.
Result<RunAs> ResolveJobAccount(const std::string& corral_user, const std::string& unix_user,
                                const JobAccountPolicy& policy);

}  // namespace corral::exec
