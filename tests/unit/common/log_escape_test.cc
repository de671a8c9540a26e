#include <gtest/gtest.h>

#include "common/log.h"

namespace corral::log {
namespace {

TEST(EscapeForLog, OneMessageIsOneLine) {
  EXPECT_EQ(EscapeForLog("GET /x\n2026-01-01 ERROR forged"), "GET /x\\n2026-01-01 ERROR forged");
  EXPECT_EQ(EscapeForLog("a\rb\tc"), "a\\rb\\tc");
  EXPECT_EQ(EscapeForLog(std::string("a\0b\x1b", 4)), "a\\x00b\\x1b");
}

TEST(EscapeForLog, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(EscapeForLog("a\xff"), "a\xEF\xBF\xBD");
  EXPECT_EQ(EscapeForLog("caf\xc3\xa9"), "caf\xc3\xa9");
}

}  // namespace
}  // namespace corral::log
