#include "gcsim/common/heap_string.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace gcsim {
namespace {

TEST(HeapStringTest, AnEmptyStringIsOnePointer) {
  static_assert(sizeof(HeapString) == sizeof(void*));
  const HeapString empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.str(), "");
}

TEST(HeapStringTest, ReadsAndWritesLikeAString) {
  HeapString name{std::string("Casey Customer, a name longer than fifteen characters")};
  EXPECT_FALSE(name.empty());
  EXPECT_EQ(name.str(), "Casey Customer, a name longer than fifteen characters");
  name = "Avery";
  EXPECT_TRUE(name == "Avery");
  name = "";  // back to one pointer
  EXPECT_TRUE(name.empty());
}

TEST(HeapStringTest, CopiesAreDeepAndMovesLeaveNothingBehind) {
  HeapString original{"sip:sam@example.com"};
  HeapString copy = original;
  copy = "sip:avery@example.com";
  EXPECT_EQ(original.str(), "sip:sam@example.com");
  HeapString moved = std::move(original);
  EXPECT_EQ(moved.str(), "sip:sam@example.com");
  EXPECT_TRUE(original.empty());  // NOLINT(bugprone-use-after-move): a moved-from HeapString is empty
}

}  // namespace
}  // namespace gcsim
