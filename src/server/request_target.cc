#include "server/request_target.h"

#include "common/utf8.h"

namespace corral::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A '%' not followed by two hex digits stays literal, as browsers send it.
std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

Status CheckText(const std::string& text, const std::string& field) {
  if (size_t bad = FirstInvalidUtf8(text); bad != std::string::npos) {
    return InvalidArgument(
        field, "not valid UTF-8 after percent-decoding (byte " + std::to_string(bad) + ")");
  }
  if (text.find('\0') != std::string::npos) {
    return InvalidArgument(field, "holds a NUL byte after percent-decoding");
  }
  return Status::Ok();
}

}  // namespace

Status ParseRequestTarget(std::string_view target, api::HttpRequest& out) {
  if (target.empty() || target.front() != '/') {
    return InvalidArgument("path", "the request target must be a path starting with '/'");
  }
  size_t q = target.find('?');
  std::string path = PercentDecode(target.substr(0, q), false);
  CORRAL_RETURN_IF_ERROR(CheckText(path, "path"));
  std::multimap<std::string, std::string> query;
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    // A fragment is never sent by clients; tolerate one by dropping it.
    rest = rest.substr(0, rest.find('#'));
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      if (!pair.empty()) {
        size_t eq = pair.find('=');
        std::string key = PercentDecode(pair.substr(0, eq), true);
        std::string value =
            eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
        // The key names itself in the error only once it is known to be printable text.
        CORRAL_RETURN_IF_ERROR(CheckText(key, "query key"));
        CORRAL_RETURN_IF_ERROR(CheckText(value, key));
        query.emplace(std::move(key), std::move(value));
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  out.path = std::move(path);
  out.query = std::move(query);
  out.target = std::string(target);
  return Status::Ok();
}

}  // namespace corral::server
