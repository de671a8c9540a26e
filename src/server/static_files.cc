#include "server/static_files.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "api/error_response.h"

namespace corral::server {
namespace {

// A file opened inside the root; closes itself.
class OpenFile {
 public:
  OpenFile(int fd, struct stat st) : fd_(fd), st_(st) {}
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  const struct stat& stat() const { return st_; }
  bool is_dir() const { return S_ISDIR(st_.st_mode); }

 private:
  int fd_;
  struct stat st_;
};

std::string_view Extension(std::string_view name) {
  size_t slash = name.rfind('/');
  std::string_view last = slash == std::string_view::npos ? name : name.substr(slash + 1);
  size_t dot = last.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : last.substr(dot + 1);
}

std::string ContentType(std::string_view name) {
  std::string ext(Extension(name));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, const char*> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"txt", "text/plain; charset=utf-8"},
      {"xml", "application/xml"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
  };
  for (const auto& [e, type] : kTypes)
    if (ext == e) return type;
  return "application/octet-stream";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitList(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    size_t comma = s.find(',');
    std::string_view item = Trim(s.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  for (std::string_view item : SplitList(accept_encoding)) {
    size_t semi = item.find(';');
    std::string name(Trim(item.substr(0, semi)));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "gzip") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = Trim(item.substr(semi + 1));
    if (params.starts_with("q=")) {
      std::string q(params.substr(2));
      return std::strtod(q.c_str(), nullptr) > 0;
    }
    return true;
  }
  return false;
}

std::string Hex(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return out;
}

std::string ETagOf(const struct stat& st, bool gzip) {
  const uint64_t mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ull +
                            static_cast<uint64_t>(st.st_mtim.tv_nsec);
  return "\"" + Hex(static_cast<uint64_t>(st.st_size)) + "-" + Hex(mtime_ns) + (gzip ? "-gz" : "") +
         "\"";
}

bool ETagMatches(std::string_view if_none_match, const std::string& etag) {
  for (std::string_view candidate : SplitList(if_none_match)) {
    if (candidate == "*") return true;
    if (candidate.starts_with("W/")) candidate.remove_prefix(2);
    if (candidate == etag) return true;
  }
  return false;
}

std::string HttpDate(time_t t) {
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

api::HttpResponse Error(const Status& s) {
  api::HttpResponse r = api::ErrorResponse(s);
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  return r;
}

// Reads the whole (small) file.
Result<std::string> ReadAll(int fd, size_t size) {
  std::string out(size, '\0');
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Internal(std::string("reading a UI file: ") + strerror(errno));
    if (n == 0) break;  // shrank meanwhile
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

}  // namespace

Result<std::unique_ptr<StaticFiles>> StaticFiles::Open(const std::string& root,
                                                       StaticFilesOptions options) {
  char buf[PATH_MAX];
  if (::realpath(root.c_str(), buf) == nullptr)
    return InvalidArgument("--ui-dir", root + ": " + strerror(errno));
  struct stat st {};
  if (::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    return InvalidArgument("--ui-dir", root + " is not a directory");
  if (::access(buf, R_OK | X_OK) != 0)
    return InvalidArgument("--ui-dir", root + " is not readable");
  std::string real(buf);
  while (real.size() > 1 && real.back() == '/') real.pop_back();
  return std::unique_ptr<StaticFiles>(new StaticFiles(std::move(real), options));
}

bool StaticFiles::Serves(std::string_view path) {
  auto under = [&](std::string_view prefix) {
    return path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/');
  };
  return !under("/api") && !under("/healthz") && !under("/metrics") && !under("/nb");
}

namespace {

// Opens `relative` (no leading '/') under `root` if its real path lies inside root.
std::unique_ptr<OpenFile> OpenInside(const std::string& root, const std::string& relative) {
  const std::string candidate = root + "/" + relative;
  char buf[PATH_MAX];
  if (::realpath(candidate.c_str(), buf) == nullptr) return nullptr;
  std::string_view real(buf);
  if (real != root && !(real.starts_with(root) && real[root.size()] == '/')) return nullptr;
  // The real path has no symlinks left; O_NOFOLLOW refuses one swapped in since.
  int fd = ::open(buf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<OpenFile>(fd, st);
}

}  // namespace

api::HttpResponse StaticFiles::Handle(const api::HttpRequest& request) const {
  const bool head = request.method == "HEAD";
  if (request.method != "GET" && !head) {
    api::HttpResponse r =
        Error(InvalidArgument("method", "only GET and HEAD are allowed on the UI's files"));
    r.headers.push_back({"Allow", "GET, HEAD"});
    return r;
  }
  const std::string& path = request.path;
  if (path.empty() || path[0] != '/') return Error(InvalidArgument("path", "must start with '/'"));
  if (path.find('\0') != std::string::npos)
    return Error(InvalidArgument("path", "must not contain NUL"));
  std::string relative = path.substr(1);
  {
    std::string_view rest = relative;
    while (true) {
      size_t slash = rest.find('/');
      std::string_view segment = rest.substr(0, slash);
      if (segment == ".." || segment == ".")
        return Error(InvalidArgument("path", "must not contain '.' or '..' segments"));
      // Hidden files (.git, .env) are never part of a UI build.
      if (!segment.empty() && segment.front() == '.') return Error(NotFound("no such file"));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
  }

  std::string name =
      relative.empty() || relative.back() == '/' ? relative + "index.html" : relative;
  auto file = OpenInside(root_, name);
  if (file && file->is_dir()) {
    name += "/index.html";
    file = OpenInside(root_, name);
  }
  if (!file || file->is_dir()) {
    // A deep link into the UI's own router (/jobs/12) gets the app; a missing file does not.
    if (!Extension(relative).empty()) return Error(NotFound("no such file"));
    name = "index.html";
    file = OpenInside(root_, name);
    if (!file || file->is_dir()) return Error(NotFound("no such file"));
  }

  bool gzip = false;
  if (AcceptsGzip(request.Header("accept-encoding"))) {
    if (auto compressed = OpenInside(root_, name + ".gz"); compressed && !compressed->is_dir()) {
      file = std::move(compressed);
      gzip = true;
    }
  }

  api::HttpResponse r;
  r.content_type = ContentType(name);
  const std::string etag = ETagOf(file->stat(), gzip);
  r.headers.push_back({"ETag", etag});
  r.headers.push_back({"Last-Modified", HttpDate(file->stat().st_mtim.tv_sec)});
  r.headers.push_back({"Cache-Control", name.starts_with("assets/")
                                            ? "public, max-age=31536000, immutable"
                                            : "no-cache"});
  r.headers.push_back({"Vary", "Accept-Encoding"});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  if (gzip) r.headers.push_back({"Content-Encoding", "gzip"});
  if (r.content_type.starts_with("text/html")) {
    r.headers.push_back({"Content-Security-Policy", "default-src 'self'"});
    r.headers.push_back({"Referrer-Policy", "same-origin"});
    r.headers.push_back({"X-Frame-Options", "DENY"});
  }
  if (ETagMatches(request.Header("if-none-match"), etag)) {
    r.status = 304;
    return r;
  }
  if (head) return r;

  const size_t size = static_cast<size_t>(file->stat().st_size);
  if (size <= options_.stream_above_bytes) {
    auto body = ReadAll(file->fd(), size);
    if (!body.ok()) return Error(body.status());
    r.body = std::move(*body);
    return r;
  }
  std::shared_ptr<OpenFile> shared(std::move(file));
  r.stream = [shared, size, chunk = options_.chunk_bytes](api::StreamSink& sink) {
    std::string buffer(chunk, '\0');
    size_t offset = 0;
    while (offset < size) {
      ssize_t n = ::pread(shared->fd(), buffer.data(), std::min(chunk, size - offset),
                          static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      if (!sink.Write(std::string_view(buffer.data(), static_cast<size_t>(n)))) return;
      offset += static_cast<size_t>(n);
    }
  };
  return r;
}

std::string DefaultUiDir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string exe(buf, static_cast<size_t>(n));
  const std::string dir = exe.substr(0, exe.rfind('/'));
  for (const std::string& candidate : {dir + "/share/corral/ui", dir + "/../share/corral/ui"}) {
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return candidate;
  }
  return "";
}

}  // namespace corral::server
