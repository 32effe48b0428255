#include "gcsim/common/strings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gcsim {
namespace {

TEST(JoinTest, PutsTheSeparatorBetweenParts) {
  EXPECT_EQ(Join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(Join(std::vector<std::string>{}, ", "), "");
  EXPECT_EQ(Join(std::vector<std::string>{"only"}, ", "), "only");
}

TEST(ParseIntegerTest, TakesAWholeDecimalIntegerAndNothingElse) {
  EXPECT_EQ(ParseInteger("0"), 0);
  EXPECT_EQ(ParseInteger("42"), 42);
  EXPECT_EQ(ParseInteger("-7"), -7);
  EXPECT_EQ(ParseInteger("9223372036854775807"), 9223372036854775807LL);
  for (const char* bad : {"", " 1", "1 ", "+1", "12abc", "1.5", "0x10", "9223372036854775808", "-"}) {
    EXPECT_EQ(ParseInteger(bad), std::nullopt) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace gcsim
