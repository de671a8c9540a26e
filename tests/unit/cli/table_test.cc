#include "cli/table.h"

#include <gtest/gtest.h>

#include <sstream>

namespace corral::cli {
namespace {

TEST(TableTest, AlignsColumnsWithThreeSpacesAndNoTrailingBlanks) {
  Table table({"ID", "NAME", "STATE"});
  table.AddRow({"7", "train-resnet", "running"});
  table.AddRow({"12", "x", ""});
  std::ostringstream out;
  table.Render(out);
  EXPECT_EQ(out.str(),
            "ID   NAME           STATE\n"
            "7    train-resnet   running\n"
            "12   x\n");
}

TEST(TableTest, ShortRowsArePadded) {
  Table table({"A", "B"});
  table.AddRow({"only"});
  std::ostringstream out;
  table.Render(out);
  EXPECT_EQ(out.str(), "A      B\nonly\n");
}

TEST(TableTest, WidthCountsCodePointsNotBytes) {
  Table table({"NAME", "X"});
  table.AddRow({"größe", "1"});  // 5 code points, 7 bytes
  table.AddRow({"abcde", "2"});
  std::ostringstream out;
  table.Render(out);
  EXPECT_EQ(out.str(), "NAME    X\ngröße   1\nabcde   2\n");
}

TEST(TruncateTest, CutsWithEllipsisOnlyWhenTooLong) {
  EXPECT_EQ(Truncate("hello", 5), "hello");
  EXPECT_EQ(Truncate("hello world", 5), "hell\u2026");
  EXPECT_EQ(DisplayWidth(Truncate("größengröße", 4)), 4u);
  EXPECT_EQ(Truncate("größengröße", 4), "grö\u2026");
  EXPECT_EQ(Truncate("abc", 0), "");
}

}  // namespace
}  // namespace corral::cli
