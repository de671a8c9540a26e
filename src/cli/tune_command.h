#pragma once

#include <string>

namespace CLI {
class App;
}

namespace corral::cli {

struct CommandContext;

// `corral tune submit|ls|describe|trials|best|stop|resume`: experiments on the server
// (docs/experiments.md).
struct TuneOptions {
  std::string file;  // submit: a Katib or native spec, YAML or JSON ("-": stdin)
  std::string id;    // the experiment
};

// Adds the `tune` command and its verbs to `app`; returns the `tune` command.
CLI::App* AddTuneCommand(CLI::App& app, TuneOptions& options);
// Runs whichever verb of `tune` was parsed.
int TuneCommand(CommandContext& ctx, CLI::App& tune, const TuneOptions& options);

}  // namespace corral::cli
