#include "cli/run_args.h"

#include <algorithm>

namespace corral::cli {

namespace {

bool IsFlag(const std::string& word) { return word.size() > 1 && word[0] == '-'; }

// Index of the word after `word` at `i` and the value it may consume.
size_t SkipFlag(const std::vector<std::string>& args, size_t i,
                const std::function<bool(std::string_view)>& takes_value) {
  const std::string& word = args[i];
  if (word.find('=') == std::string::npos && takes_value(word)) return i + 2;
  return i + 1;
}

}  // namespace

size_t FindSubcommand(const std::vector<std::string>& args,
                      const std::function<bool(std::string_view flag)>& takes_value) {
  size_t i = 0;
  while (i < args.size() && IsFlag(args[i])) {
    if (args[i] == "--") return args.size();
    i = SkipFlag(args, i, takes_value);
  }
  return std::min(i, args.size());
}

SplitRunArgs SplitRunCommand(const std::vector<std::string>& args,
                             const std::function<bool(std::string_view flag)>& takes_value) {
  SplitRunArgs split;
  size_t i = FindSubcommand(args, takes_value);
  if (i >= args.size() || args[i] != "run") {
    split.options = args;
    return split;
  }
  size_t j = i + 1;
  while (j < args.size()) {
    if (args[j] == "--") {
      split.options.assign(args.begin(), args.begin() + j);
      split.command.assign(args.begin() + j + 1, args.end());
      return split;
    }
    if (!IsFlag(args[j])) {
      split.options.assign(args.begin(), args.begin() + j);
      split.command.assign(args.begin() + j, args.end());
      return split;
    }
    j = SkipFlag(args, j, takes_value);
  }
  split.options = args;
  return split;
}

}  // namespace corral::cli
