#include "cli/client_config.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace corral::cli {

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr || value[0] == '\0') return std::nullopt;
    return std::string(value);
  };
}

std::string ConfigFilePath(const EnvLookup& env) {
  if (auto xdg = env("XDG_CONFIG_HOME")) return *xdg + "/corral/config.json";
  if (auto home = env("HOME")) return *home + "/.config/corral/config.json";
  return "";
}

Result<std::optional<SavedLogin>> LoadConfigFile(const std::string& path) {
  if (path.empty()) return std::optional<SavedLogin>();
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::optional<SavedLogin>();
    return Status(StatusCode::kFailedPrecondition,
                  fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status(StatusCode::kFailedPrecondition,
                  fmt::format("{} is not a JSON object; fix it or run `corral login` again", path));
  }
  SavedLogin login;
  for (auto [key, target] : {std::pair{"url", &login.url}, std::pair{"token", &login.token}}) {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) continue;
    if (!it->is_string()) {
      return Status(StatusCode::kFailedPrecondition,
                    fmt::format("{}: \"{}\" must be a string", path, key));
    }
    *target = it->get<std::string>();
  }
  return std::optional<SavedLogin>(login);
}

Status SaveConfigFile(const std::string& path, const SavedLogin& login) {
  if (path.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  "cannot tell where to save the login: set HOME or XDG_CONFIG_HOME");
  }
  std::filesystem::path file(path);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return Status(StatusCode::kFailedPrecondition,
                  fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message()));
  }
  ::chmod(file.parent_path().c_str(), 0700);

  nlohmann::json doc = {{"url", login.url}, {"token", login.token}};
  std::string text = doc.dump(2) + "\n";
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(StatusCode::kFailedPrecondition,
                  fmt::format("cannot write {}: {}", temp, std::strerror(errno)));
  }
  // O_CREAT's mode does not apply to a file that already existed.
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t written = 0;
  while (ok && written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int saved_errno = errno;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    if (ok) saved_errno = errno;
    ::unlink(temp.c_str());
    return Status(StatusCode::kFailedPrecondition,
                  fmt::format("cannot write {}: {}", path, std::strerror(saved_errno)));
  }
  return Status::Ok();
}

std::string NormaliseServerUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.empty() && url.find("://") == std::string::npos) url = "http://" + url;
  return url;
}

Connection ResolveConnection(const std::string& url_flag, const std::string& token_flag,
                             const EnvLookup& env, const std::optional<SavedLogin>& saved,
                             const std::string& config_path) {
  Connection connection;
  std::string saved_url = saved ? NormaliseServerUrl(saved->url) : "";
  if (!url_flag.empty()) {
    connection.url = url_flag;
  } else if (auto from_env = env("CORRAL_URL")) {
    connection.url = *from_env;
  } else if (!saved_url.empty()) {
    connection.url = saved_url;
  } else {
    connection.url = kDefaultServerUrl;
  }
  connection.url = NormaliseServerUrl(connection.url);

  if (!token_flag.empty()) {
    connection.token = token_flag;
    connection.token_source = "--token";
  } else if (auto from_env = env("CORRAL_TOKEN")) {
    connection.token = *from_env;
    connection.token_source = "CORRAL_TOKEN";
  } else if (saved && !saved->token.empty() && (saved_url.empty() || saved_url == connection.url)) {
    connection.token = saved->token;
    connection.token_source = config_path;
  }
  return connection;
}

}  // namespace corral::cli
