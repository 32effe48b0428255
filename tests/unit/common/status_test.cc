#include "gcsim/common/status.h"

#include <gtest/gtest.h>

namespace gcsim {
namespace {

TEST(StatusTest, OkAndErrorsDescribeThemselves) {
  EXPECT_TRUE(Status::Ok().ok());
  const Status s = NotFoundError("Conversation x not found", "not.found");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not_found (not.found): Conversation x not found");
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good = 5;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 5);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad = InvalidArgumentError("nope");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "nope");
}

}  // namespace
}  // namespace gcsim
