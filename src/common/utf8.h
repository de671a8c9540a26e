#pragma once

#include <string>
#include <string_view>

namespace corral {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. Every text
// that reaches JSON output or the store must pass this, or serialising it later would fail.
bool IsValidUtf8(std::string_view text);

// Byte offset of the first byte that is not part of valid UTF-8, or npos when the text is valid.
size_t FirstInvalidUtf8(std::string_view text);

// The text with each invalid byte replaced by U+FFFD, for echoing untrusted input in messages.
std::string ToValidUtf8(std::string_view text);

}  // namespace corral
