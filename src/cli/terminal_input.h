#pragma once

#include <iosfwd>
#include <string>

namespace corral::cli {

// Reads one line for a secret such as a token: from a terminal with a prompt and echo off, from
// a pipe silently (`echo $T | corral login --url U`). Trailing whitespace is trimmed.
std::string ReadSecretLine(const std::string& prompt, std::istream& in, std::ostream& err);

}  // namespace corral::cli
