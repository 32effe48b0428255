#include "gcsim/common/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace gcsim {
namespace {

TEST(IdGeneratorTest, SameSeedSameIds) {
  IdGenerator a(42), b(42), c(43);
  const std::string first = a.NextUuid();
  EXPECT_EQ(first, b.NextUuid());
  EXPECT_NE(first, c.NextUuid());
}

TEST(IdGeneratorTest, ProducesVersion4Uuids) {
  IdGenerator ids(7);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = ids.NextUuid();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(std::string("89ab").find(id[19]) != std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(ids.NextHex(20).size(), 20u);
}

TEST(IsUuidTest, RejectsNearMisses) {
  EXPECT_TRUE(IsUuid("9f8e7d6c-5b4a-3210-abcd-ef1234567890"));
  EXPECT_FALSE(IsUuid("9f8e7d6c-5b4a-3210-abcd-ef123456789"));
  EXPECT_FALSE(IsUuid("9f8e7d6c5b4a-3210-abcd-ef12345678901"));
  EXPECT_FALSE(IsUuid("zf8e7d6c-5b4a-3210-abcd-ef1234567890"));
  EXPECT_FALSE(IsUuid(""));
}

}  // namespace
}  // namespace gcsim
