#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::cli {

struct SplitRunArgs {
  std::vector<std::string> options;  // what the flag parser sees
  std::vector<std::string> command;  // the job's argv, untouched
};

// `corral run` takes the job's command after its own flags, docker-style, with or without `--`:
//   corral run --gpus 2 -- python train.py --lr 0.1
//   corral run --gpus 2 python train.py --lr 0.1
// The job's argv must reach the job exactly as typed, so it is split off before flag parsing:
// after the `run` word, the first `--` or the first word that is neither a flag nor a flag's
// value starts the command. `takes_value("--gpus")` says whether a flag consumes the next word
// (a "--flag=value" word never does). Arguments of other subcommands pass through unchanged.
// Index of the subcommand word (the first word that is neither a flag nor a flag's value), or
// args.size() when there is none.
size_t FindSubcommand(const std::vector<std::string>& args,
                      const std::function<bool(std::string_view flag)>& takes_value);

SplitRunArgs SplitRunCommand(const std::vector<std::string>& args,
                             const std::function<bool(std::string_view flag)>& takes_value);

}  // namespace corral::cli
