#include "model/field_rules.h"

#include <string>

namespace corral::rules {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsNameChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; }

std::string Bytes(size_t n) {
  if (n % 1024 == 0 && n >= 1024 * 1024) return std::to_string(n / (1024 * 1024)) + " MiB";
  if (n % 1024 == 0) return std::to_string(n / 1024) + " KiB";
  return std::to_string(n) + " bytes";
}

Status TooLong(const std::string& field, size_t max) {
  return InvalidArgument(field, "is longer than " + Bytes(max));
}

Status NoNul(const std::string& field, std::string_view value) {
  if (value.find('\0') != std::string_view::npos)
    return InvalidArgument(field, "must not contain NUL bytes");
  return Status::Ok();
}

Status NoControl(const std::string& field, std::string_view value) {
  CORRAL_RETURN_IF_ERROR(NoNul(field, value));
  if (HasControlCharacter(value))
    return InvalidArgument(field, "must not contain control characters");
  return Status::Ok();
}

// Splits at '/' and checks each component; `absolute` paths have already lost their leading '/'.
Status CheckComponents(const std::string& field, std::string_view rest, bool allow_dot) {
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view part = rest.substr(start, end - start);
    if (part.empty()) return InvalidArgument(field, "must not contain empty components ('//')");
    if (part == "..") return InvalidArgument(field, "must not contain '..' components");
    if (part == "." && !allow_dot) return InvalidArgument(field, "must not contain '.' components");
    start = end + 1;
  }
  return Status::Ok();
}

// Lower-case letters, digits, '_', '.', '-', starting with a letter or '_' (useradd's rule).
Status CheckPosixStyleName(const std::string& field, std::string_view value, size_t max_bytes) {
  if (value.empty()) return InvalidArgument(field, "must not be empty");
  if (value.size() > max_bytes) return TooLong(field, max_bytes);
  std::string rule =
      "must be lower-case letters, digits, '_', '.', '-' starting with a letter or '_'";
  if (!((value[0] >= 'a' && value[0] <= 'z') || value[0] == '_'))
    return InvalidArgument(field, rule);
  for (char c : value)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return InvalidArgument(field, rule);
  return Status::Ok();
}

}  // namespace

bool HasControlCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return true;
    // U+0080..U+009F are encoded C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < text.size()) {
      auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

Status CheckName(const std::string& field, std::string_view value, size_t max_bytes) {
  if (value.empty()) return InvalidArgument(field, "must not be empty");
  if (value.size() > max_bytes) return TooLong(field, max_bytes);
  std::string rule = "must be letters, digits, '.', '_', '-' starting with a letter or digit";
  if (!IsAlnum(value[0])) return InvalidArgument(field, rule);
  for (char c : value)
    if (!IsNameChar(c)) return InvalidArgument(field, rule);
  if (value.find("..") != std::string_view::npos)
    return InvalidArgument(field, "must not contain '..'");
  return Status::Ok();
}

Status CheckUserName(const std::string& field, std::string_view value) {
  CORRAL_RETURN_IF_ERROR(CheckPosixStyleName(field, value, kMaxUserNameBytes));
  if (value.find("..") != std::string_view::npos)
    return InvalidArgument(field, "must not contain '..'");
  return Status::Ok();
}

Status CheckAccountName(const std::string& field, std::string_view value) {
  if (!CheckPosixStyleName(field, value, kMaxAccountNameBytes).ok())
    return InvalidArgument(field,
                           "must be a local account name: 1-32 lower-case letters, digits, '_', "
                           "'.', '-' starting with a letter or '_'");
  return Status::Ok();
}

Status CheckText(const std::string& field, std::string_view value, size_t max_bytes) {
  if (value.empty()) return InvalidArgument(field, "must not be empty");
  if (value.size() > max_bytes) return TooLong(field, max_bytes);
  return NoControl(field, value);
}

Status CheckLabelKey(const std::string& field, std::string_view key) {
  if (key.empty()) return InvalidArgument(field, "label key must not be empty");
  if (key.size() > kMaxLabelKeyBytes) return TooLong(field, kMaxLabelKeyBytes);
  std::string_view name = key;
  if (size_t slash = key.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty())
      return InvalidArgument(field, "label key prefix (before '/') must not be empty");
    for (char c : prefix)
      if (!(IsAlnum(c) || c == '.' || c == '-'))
        return InvalidArgument(field,
                               "label key prefix must be a DNS name (letters, digits, '.', '-')");
  }
  if (name.empty() || name.size() > kMaxLabelNameBytes)
    return InvalidArgument(field, "label name (after any prefix) must be 1-63 characters");
  if (!IsAlnum(name.front()) || !IsAlnum(name.back()))
    return InvalidArgument(field, "label name must start and end with a letter or digit");
  for (char c : name)
    if (!IsNameChar(c))
      return InvalidArgument(field, "label name must be letters, digits, '.', '_', '-'");
  return Status::Ok();
}

Status CheckLabelValue(const std::string& field, std::string_view value) {
  if (value.size() > kMaxLabelValueBytes) return TooLong(field, kMaxLabelValueBytes);
  return NoControl(field, value);
}

Status CheckLabels(const std::string& field, const std::map<std::string, std::string>& labels) {
  if (labels.size() > kMaxLabels)
    return InvalidArgument(field, "has more than " + std::to_string(kMaxLabels) + " labels");
  for (const auto& [k, v] : labels) {
    std::string path = field + "." + k;
    CORRAL_RETURN_IF_ERROR(NoControl(path, k));
    CORRAL_RETURN_IF_ERROR(CheckLabelKey(path, k));
    CORRAL_RETURN_IF_ERROR(CheckLabelValue(path, v));
  }
  return Status::Ok();
}

Status CheckEnvKey(const std::string& field, std::string_view key) {
  if (key.empty()) return InvalidArgument(field, "environment variable name must not be empty");
  if (key.size() > kMaxEnvKeyBytes) return TooLong(field, kMaxEnvKeyBytes);
  auto ok_first = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!ok_first(key[0]))
    return InvalidArgument(field,
                           "is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
  for (char c : key)
    if (!(ok_first(c) || (c >= '0' && c <= '9')))
      return InvalidArgument(field,
                             "is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
  return Status::Ok();
}

Status CheckEnvValue(const std::string& field, std::string_view value) {
  if (value.size() > kMaxEnvValueBytes) return TooLong(field, kMaxEnvValueBytes);
  return NoNul(field, value);
}

Status CheckEnv(const std::string& field, const std::map<std::string, std::string>& env) {
  if (env.size() > kMaxEnvEntries)
    return InvalidArgument(field, "has more than " + std::to_string(kMaxEnvEntries) + " entries");
  for (const auto& [k, v] : env) {
    std::string path = field + "." + k;
    CORRAL_RETURN_IF_ERROR(NoControl(path, k));
    CORRAL_RETURN_IF_ERROR(CheckEnvKey(path, k));
    CORRAL_RETURN_IF_ERROR(CheckEnvValue(path, v));
  }
  return Status::Ok();
}

Status CheckArgv(const std::string& field, const std::vector<std::string>& argv) {
  if (argv.size() > kMaxArgs)
    return InvalidArgument(field, "has more than " + std::to_string(kMaxArgs) + " arguments");
  size_t total = 0;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string path = field + "[" + std::to_string(i) + "]";
    CORRAL_RETURN_IF_ERROR(NoNul(path, argv[i]));
    total += argv[i].size();
    if (total > kMaxArgvBytes)
      return InvalidArgument(field, "is longer than " + Bytes(kMaxArgvBytes) + " in all");
  }
  if (!argv.empty() && argv[0].empty()) return InvalidArgument(field + "[0]", "must not be empty");
  return Status::Ok();
}

Status CheckScript(const std::string& field, std::string_view script) {
  if (script.size() > kMaxScriptBytes) return TooLong(field, kMaxScriptBytes);
  return NoNul(field, script);
}

Status CheckAbsolutePath(const std::string& field, std::string_view path) {
  if (path.empty() || path[0] != '/') return InvalidArgument(field, "must be an absolute path");
  if (path.size() > kMaxPathBytes) return TooLong(field, kMaxPathBytes);
  CORRAL_RETURN_IF_ERROR(NoControl(field, path));
  if (path == "/") return Status::Ok();
  if (path.back() == '/') return InvalidArgument(field, "must not end with '/'");
  return CheckComponents(field, path.substr(1), /*allow_dot=*/false);
}

Status CheckContainedPath(const std::string& field, std::string_view path) {
  if (path.empty()) return InvalidArgument(field, "must not be empty");
  if (path[0] == '/') return CheckAbsolutePath(field, path);
  if (path.size() > kMaxPathBytes) return TooLong(field, kMaxPathBytes);
  CORRAL_RETURN_IF_ERROR(NoControl(field, path));
  std::string_view rest = path;
  if (rest.back() == '/') rest.remove_suffix(1);
  return CheckComponents(field, rest, /*allow_dot=*/true);
}

}  // namespace corral::rules
