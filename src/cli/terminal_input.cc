#include "cli/terminal_input.h"

#include <termios.h>
#include <unistd.h>

#include <istream>
#include <ostream>

namespace corral::cli {

std::string ReadSecretLine(const std::string& prompt, std::istream& in, std::ostream& err) {
  bool interactive = ::isatty(STDIN_FILENO) == 1;
  termios saved{};
  bool echo_off = false;
  if (interactive) {
    err << prompt << std::flush;
    if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      echo_off = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  }
  std::string line;
  std::getline(in, line);
  if (echo_off) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    err << '\n';
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.pop_back();
  }
  return line;
}

}  // namespace corral::cli
