#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace corral::cli {

struct CommandContext;

// `corral workflow submit|list|get|logs|stop|terminate|suspend|resume|retry|resubmit|delete|
// graph|template`: Argo-style workflows on the server (docs/cli.md, docs/workflows-python.md).
struct WorkflowOptions {
  std::string file;                     // submit, template create: YAML, JSON or a .py pipeline
  std::vector<std::string> parameters;  // submit -p name=value
  bool watch = false;                   // submit --watch
  std::string workflow;                 // an id or a name
  std::string node;                     // logs --node
  bool follow = false;                  // logs -f
  std::string graph_format = "dot";     // graph --format dot|svg
  std::string phase;                    // list --phase
  int limit = 0;                        // list --limit
  std::string template_name;            // template delete NAME
  bool cluster = false;                 // template delete --cluster
  double poll_seconds = 1.0;            // --watch and logs -f
};

// Adds the `workflow` command and its verbs to `app`; returns the `workflow` command.
CLI::App* AddWorkflowCommand(CLI::App& app, WorkflowOptions& options);
// Runs whichever verb of `workflow` was parsed.
int WorkflowCommand(CommandContext& ctx, CLI::App& workflow, const WorkflowOptions& options);

// Where the Python SDK is, for `submit FILE.py`: $CORRAL_PYTHONPATH, else python/ beside the
// binary's source tree (<binary dir>/../python), else the installed share dir
// (<binary dir>/../share/corral/python), else the source tree the binary was built from. ""
// when none holds corral/workflow.py.
std::string FindPythonSdk(const std::string& binary_path, const std::string& env_override);

}  // namespace corral::cli
