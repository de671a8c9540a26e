#include <cerrno>
#include <cstring>
#include <fstream>

#include "exec/executor.h"

namespace corral::exec {
namespace {

class FileLogSource final : public LogSource {
 public:
  explicit FileLogSource(std::string path) : path_(std::move(path)) {}

  Result<std::string> Read(int64_t offset, size_t max) override {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      // Not created yet: the replica has not written anything.
      if (errno == ENOENT) return std::string();
      return Internal("reading " + path_ + ": " + std::strerror(errno));
    }
    in.seekg(0, std::ios::end);
    const int64_t size = static_cast<int64_t>(in.tellg());
    if (size < offset) return FailedPrecondition(path_ + " was truncated");
    in.seekg(offset);
    std::string out(static_cast<size_t>(std::min<int64_t>(size - offset, max)), '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    out.resize(static_cast<size_t>(in.gcount()));
    return out;
  }

  std::string Describe() const override { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<LogSource> OpenFileLog(std::string path) {
  return std::make_unique<FileLogSource>(std::move(path));
}

}  // namespace corral::exec
