// The bulk media view's listing and its cache, on a deque of legs built by hand.
#include "silent_listing.h"

#include <gtest/gtest.h>

namespace gcsim::core {
namespace {

using std::chrono::minutes;

const TimePoint kStart = TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1));

Participant Leg(std::string id, Duration connected_after, LegState state = LegState::kConnected) {
  Participant leg;
  leg.id = std::move(id);
  leg.conversation_id = "c";
  leg.state = state;
  leg.start_time = leg.speech_anchor = leg.audible_since = kStart + connected_after;
  leg.connected_time = leg.start_time;
  return leg;
}

TEST(SilentListingTest, FlowingLegsSilentLongEnoughOldestSilenceFirst) {
  std::deque<Participant> legs;
  legs.push_back(Leg("b", minutes(2)));
  legs.push_back(Leg("a", minutes(2)));
  legs.push_back(Leg("old", minutes(0)));
  legs.push_back(Leg("recent", minutes(8)));
  legs.push_back(Leg("gone", minutes(0), LegState::kDisconnected));
  Participant talker = Leg("talker", minutes(0));
  talker.speech = SpeechScript::Always();
  legs.push_back(talker);

  const auto listing = ListSilentLegs(legs, kStart + minutes(10), minutes(5));
  std::vector<std::string> ids;
  for (const SilentLeg& leg : listing) ids.push_back(leg.participant_id);
  // Same silent_since: by id.
  EXPECT_EQ(ids, (std::vector<std::string>{"old", "a", "b"}));
  EXPECT_EQ(listing[0].media.silent_for, minutes(10));
  EXPECT_TRUE(listing[0].media.flowing);
  EXPECT_EQ(listing[0].conversation_id, "c");
}

TEST(SilentListingTest, CacheServesOneInstantAndGenerationAndRescansOtherwise) {
  std::deque<Participant> legs;
  legs.push_back(Leg("a", minutes(0)));
  SilentListingCache cache;
  const TimePoint now = kStart + minutes(10);
  const auto first = cache.Get(legs, now, 7, minutes(5));
  EXPECT_EQ(cache.Get(legs, now, 7, minutes(5)), first);  // the same listing, not a rescan
  EXPECT_NE(cache.Get(legs, now, 8, minutes(5)), first);  // the world changed
  const auto later = cache.Get(legs, now + minutes(1), 8, minutes(5));
  EXPECT_EQ(later->at(0).media.silent_for, minutes(11));
  EXPECT_TRUE(cache.Get(legs, now + minutes(1), 8, minutes(20))->empty());
}

}  // namespace
}  // namespace gcsim::core
