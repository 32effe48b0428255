// The org on its own: tokens on the clock, rate windows per client.
#include "org.h"

#include <gtest/gtest.h>

#include "gcsim/core/api_errors.h"

namespace gcsim::core {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class OrgTest : public testing::Test {
 protected:
  OrgTest() : org_(clock_, 1, std::nullopt) {
    org_.Reset({{.id = "app", .secret = "s", .token_lifetime = minutes(5)},
                {.id = "agent-app", .secret = "t", .user_id = "u1", .rate_limit = 2}},
               3);
  }
  ManualClock clock_;
  Org org_;
};

TEST_F(OrgTest, TokenCarriesTheClientAndItsUserAndExpiresOnTheClock) {
  auto grant = org_.IssueToken("agent-app", "t");
  ASSERT_TRUE(grant.ok());
  auto caller = org_.Authenticate(grant->access_token);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->client_id, "agent-app");
  EXPECT_EQ(caller->user_id, "u1");

  auto short_lived = org_.IssueToken("app", "s");
  ASSERT_TRUE(short_lived.ok());
  EXPECT_EQ(short_lived->expires_in, minutes(5));
  clock_.Advance(minutes(5) - seconds(1));
  EXPECT_TRUE(org_.Authenticate(short_lived->access_token).ok());
  clock_.Advance(seconds(1));
  const auto expired = org_.Authenticate(short_lived->access_token);
  EXPECT_EQ(expired.status().reason(), codes::kBadCredentials);
  EXPECT_EQ(expired.status().message(), "The access token has expired.");
}

TEST_F(OrgTest, WrongSecretAndUnknownTokenAreRefused) {
  const auto bad = org_.IssueToken("app", "wrong");
  EXPECT_EQ(bad.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(bad.status().reason(), "invalid_client");
  EXPECT_FALSE(org_.IssueToken("nobody", "s").ok());
  EXPECT_EQ(org_.Authenticate("gcsim-nope").status().reason(), codes::kBadCredentials);
}

TEST_F(OrgTest, ResetForgetsTokensButNeverReissuesOne) {
  const auto before = org_.IssueToken("app", "s");
  ASSERT_TRUE(before.ok());
  org_.Reset({{.id = "app", .secret = "s"}}, 3);
  EXPECT_FALSE(org_.Authenticate(before->access_token).ok());
  const auto after = org_.IssueToken("app", "s");
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->access_token, before->access_token);
}

TEST_F(OrgTest, BudgetPerClientInAOneMinuteWindow) {
  // agent-app has its own budget of 2; app falls back to the org's 3.
  EXPECT_FALSE(org_.ChargeRequest("agent-app").limited);
  clock_.Advance(seconds(20));
  const RateDecision second = org_.ChargeRequest("agent-app");
  EXPECT_FALSE(second.limited);
  EXPECT_EQ(second.count, 2);
  EXPECT_EQ(second.allowed, 2);
  EXPECT_EQ(second.reset_seconds, 40);
  EXPECT_TRUE(org_.ChargeRequest("agent-app").limited);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(org_.ChargeRequest("app").limited);
  EXPECT_TRUE(org_.ChargeRequest("app").limited);
  clock_.Advance(seconds(40));  // agent-app's window started a minute ago
  const RateDecision fresh = org_.ChargeRequest("agent-app");
  EXPECT_FALSE(fresh.limited);
  EXPECT_EQ(fresh.count, 1);
  EXPECT_EQ(fresh.reset_seconds, 60);
}

TEST(OrgOverrideTest, OverrideReplacesEveryBudgetAndZeroIsUnlimited) {
  ManualClock clock;
  Org org(clock, 1, 0);
  org.Reset({{.id = "app", .secret = "s", .rate_limit = 1}}, 1);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(org.ChargeRequest("app").limited);
  EXPECT_EQ(org.ChargeRequest("app").allowed, 0);
}

}  // namespace
}  // namespace gcsim::core
