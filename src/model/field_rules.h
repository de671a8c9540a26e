#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

// The rules every entry point applies to user-supplied text (job specs in JSON or YAML, experiment
// specs native or Katib, queues, users, tokens). Each check returns invalid_argument naming
// `field`. Input is assumed to be valid UTF-8 already (the body parser guarantees it).
namespace corral::rules {

// Names: a letter or digit, then letters, digits, '.', '_', '-'; never "..".
inline constexpr size_t kMaxNameBytes = 63;
inline constexpr size_t kMaxJobNameBytes = 253;  // trial jobs append "-trial-N" to a name
// Users: lower-case, starting with a letter or '_' (as Unix account names).
inline constexpr size_t kMaxUserNameBytes = 64;
inline constexpr size_t kMaxAccountNameBytes = 32;
// Labels: Kubernetes-style keys ("[prefix/]name"), free text values without control characters.
inline constexpr size_t kMaxLabels = 64;
inline constexpr size_t kMaxLabelKeyBytes = 253;
inline constexpr size_t kMaxLabelNameBytes = 63;
inline constexpr size_t kMaxLabelValueBytes = 256;
// Environment: POSIX-style keys; values may hold any text except NUL.
inline constexpr size_t kMaxEnvEntries = 1024;
inline constexpr size_t kMaxEnvKeyBytes = 256;
inline constexpr size_t kMaxEnvValueBytes = 128 * 1024;
// Commands and scripts: any text except NUL.
inline constexpr size_t kMaxArgs = 4096;
inline constexpr size_t kMaxArgvBytes = 1024 * 1024;
inline constexpr size_t kMaxScriptBytes = 1024 * 1024;
inline constexpr size_t kMaxPathBytes = 4096;

// True for bytes (and the UTF-8 C1 range) that have no business in a name, label or path.
bool HasControlCharacter(std::string_view text);

Status CheckName(const std::string& field, std::string_view value,
                 size_t max_bytes = kMaxNameBytes);
Status CheckUserName(const std::string& field, std::string_view value);
// A local Unix account name as useradd accepts it (1-32 bytes).
Status CheckAccountName(const std::string& field, std::string_view value);
// One line of printable text of 1..max_bytes bytes (token labels, free-form titles).
Status CheckText(const std::string& field, std::string_view value, size_t max_bytes);

Status CheckLabelKey(const std::string& field, std::string_view key);
Status CheckLabelValue(const std::string& field, std::string_view value);
// `field` is the map's path ("labels"); entries are reported as "labels.<key>".
Status CheckLabels(const std::string& field, const std::map<std::string, std::string>& labels);

Status CheckEnvKey(const std::string& field, std::string_view key);
Status CheckEnvValue(const std::string& field, std::string_view value);
Status CheckEnv(const std::string& field, const std::map<std::string, std::string>& env);

// Arguments are reported as "command[i]".
Status CheckArgv(const std::string& field, const std::vector<std::string>& argv);
Status CheckScript(const std::string& field, std::string_view script);

// An absolute path in normal form: starts with '/', no empty, "." or ".." components, no
// trailing '/', no control characters.
Status CheckAbsolutePath(const std::string& field, std::string_view path);
// An absolute path as above, or a relative one that cannot climb out of where it is resolved:
// no ".." component, no empty components, no control characters.
Status CheckContainedPath(const std::string& field, std::string_view path);

}  // namespace corral::rules
