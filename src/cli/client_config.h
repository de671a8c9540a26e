#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace corral::cli {

inline constexpr std::string_view kDefaultServerUrl = "http://127.0.0.1:8080";

// What `corral login` saves: the server and the token to use with it.
struct SavedLogin {
  std::string url;
  std::string token;
};

// Looks up an environment variable; injected so resolution can be tested without touching the
// process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup ProcessEnv();

// $XDG_CONFIG_HOME/corral/config.json, else $HOME/.config/corral/config.json. Empty when neither
// variable is set.
std::string ConfigFilePath(const EnvLookup& env);

// Reads the config file. A missing file is std::nullopt; an unreadable or malformed one is an
// error naming the file.
Result<std::optional<SavedLogin>> LoadConfigFile(const std::string& path);

// Writes the config file readable by its owner only (mode 0600, directory 0700), replacing it
// atomically so a crash never leaves a half-written token behind.
Status SaveConfigFile(const std::string& path, const SavedLogin& login);

// The server and token a command uses.
struct Connection {
  std::string url;           // normalised: no trailing slash
  std::string token;         // may be empty: the server then answers 401
  std::string token_source;  // "--token", "CORRAL_TOKEN", the config file path, or ""
};

// Precedence: flag, then environment (CORRAL_URL / CORRAL_TOKEN), then the saved login, then
// the default URL. The saved token is only used with the server it was saved for, so pointing
// the CLI at another server never sends it a token meant for a different one.
Connection ResolveConnection(const std::string& url_flag, const std::string& token_flag,
                             const EnvLookup& env, const std::optional<SavedLogin>& saved,
                             const std::string& config_path);

// Strips trailing slashes and adds "http://" when no scheme is given ("host:8080").
std::string NormaliseServerUrl(std::string url);

}  // namespace corral::cli
