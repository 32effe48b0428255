#include "leg_index.h"

#include <deque>
#include <string>

#include <gtest/gtest.h>

namespace gcsim::core {
namespace {

TEST(LegIndexTest, FindsEveryLegThroughGrowthAndRefusesATakenId) {
  std::deque<Participant> legs;
  LegIndex index;
  EXPECT_EQ(index.Find("anything"), nullptr);  // empty: no slots yet
  for (int i = 0; i < 5000; ++i) {  // grows from nothing, rehashing many times
    Participant& leg = legs.emplace_back();
    leg.id = "leg-" + std::to_string(i);
    ASSERT_TRUE(index.Insert(&leg));
  }
  EXPECT_EQ(index.size(), 5000u);
  for (const Participant& leg : legs) EXPECT_EQ(index.Find(leg.id), &leg);
  EXPECT_EQ(index.Find("leg-5000"), nullptr);
  EXPECT_EQ(index.Find(""), nullptr);

  Participant twin;
  twin.id = "leg-42";
  EXPECT_FALSE(index.Insert(&twin));
  EXPECT_EQ(index.Find("leg-42"), &legs[42]);
  EXPECT_EQ(index.size(), 5000u);
}

TEST(LegIndexTest, ReservedRoomHoldsWithoutMovingAnything) {
  std::deque<Participant> legs(100);
  LegIndex index;
  index.Reserve(100);
  for (size_t i = 0; i < legs.size(); ++i) {
    legs[i].id = std::string(36, static_cast<char>('a' + i % 26)) + std::to_string(i);
    ASSERT_TRUE(index.Insert(&legs[i]));
  }
  for (const Participant& leg : legs) EXPECT_EQ(index.Find(leg.id), &leg);
}

}  // namespace
}  // namespace gcsim::core
