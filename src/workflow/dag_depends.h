#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace corral::workflow {

// How a finished task ended, as a `depends` expression sees it.
struct DependencyResult {
  bool succeeded = false;
  bool failed = false;
  bool errored = false;
  bool skipped = false;
  bool omitted = false;
  bool daemoned = false;
  bool any_succeeded = false;  // loops: at least one item succeeded
  bool all_failed = false;     // loops: every item failed
  bool continued = false;      // failed or errored, but the task continues on that
};

// The task names an expression like `A && (B.Failed || !C.Succeeded)` refers to, in order.
std::vector<std::string> DependsTaskNames(const std::string& expr);

// Evaluates a `depends` expression (or a `dependencies` list joined with &&). A bare task name
// means `(T.Succeeded || T.Skipped || T.Daemoned)`, or also failed/errored when the task
// continues on that.
Result<bool> EvaluateDepends(const std::string& expr,
                             const std::map<std::string, DependencyResult>& results);

// Checks the syntax; `tasks` are the DAG's task names (an unknown one is an error).
Status CheckDepends(const std::string& expr, const std::vector<std::string>& tasks);

}  // namespace corral::workflow
