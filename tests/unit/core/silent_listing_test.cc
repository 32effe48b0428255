// The bulk media view's listing, its index and its cache: on legs built by hand, and the index
// against the plain listing over seeded random worlds that change under it.
#include "silent_listing.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "leg_lifecycle.h"
#include "world_builder.h"

namespace gcsim::core {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kStart = TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1));

Conversation conversation_c{.id = "c"};

Participant Leg(std::string id, Duration connected_after, LegState state = LegState::kConnected) {
  Participant leg;
  leg.id = std::move(id);
  leg.conversation = &conversation_c;
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

TEST(SilentListingTest, TiesGoByTheWholeIdWhateverItsFirstBytes) {
  // Ids that share their first eight bytes or more, one shorter than eight, one with a byte
  // above 0x7f: the order is the strings' own.
  const std::vector<std::string> ids = {"9f8e7d6c-b", "9f8e7d6c-a", "9f8e7d6c", "9f8e7d6",
                                        "9f8e7d6c-a0", "\xff-high", "00000000-z", "a"};
  std::deque<Participant> legs;
  for (const std::string& id : ids) legs.push_back(Leg(id, minutes(1)));
  std::vector<std::string> listed;
  for (const SilentLeg& leg : ListSilentLegs(legs, kStart + minutes(10), minutes(5))) {
    listed.push_back(leg.participant_id);
  }
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(listed, sorted);
}

TEST(SilentListingTest, CacheServesOneInstantAndGenerationAndRescansOtherwise) {
  std::deque<Participant> legs;
  legs.push_back(Leg("a", minutes(0)));
  SilenceIndex index;
  index.Update(legs.front(), kStart);
  SilentListingCache cache;
  int scans = 0;
  const auto get = [&](TimePoint now, uint64_t generation, Duration silent_for) {
    return cache.Get(generation, now, silent_for, [&] {
      ++scans;
      return index.List(legs, now, silent_for);
    });
  };
  const TimePoint now = kStart + minutes(10);
  const auto first = get(now, 7, minutes(5));
  EXPECT_EQ(get(now, 7, minutes(5)), first);  // the same listing, not a rescan
  EXPECT_EQ(scans, 1);
  EXPECT_NE(get(now, 8, minutes(5)), first);  // the world changed
  const auto later = get(now + minutes(1), 8, minutes(5));
  EXPECT_EQ(later->at(0).media.silent_for, minutes(11));
  EXPECT_TRUE(get(now + minutes(1), 8, minutes(20))->empty());
  EXPECT_EQ(scans, 4);
}

TEST(SilenceIndexTest, FindsQuietLegsAndLegsBetweenLongGapsButNotTalkers) {
  std::deque<Participant> legs;
  legs.push_back(Leg("quiet", minutes(0)));
  Participant talker = Leg("talker", minutes(0));
  talker.speech = SpeechScript::Always();
  legs.push_back(talker);
  Participant chatty = Leg("chatty", minutes(0));  // 10s of every 30s: never silent for 1m
  chatty.speech = {.kind = SpeechScript::Kind::kPeriodic, .every = seconds(30), .talk_for = seconds(10)};
  legs.push_back(chatty);
  Participant sparse = Leg("sparse", minutes(0));  // 10s of every 20m
  sparse.speech = {.kind = SpeechScript::Kind::kPeriodic, .every = minutes(20), .talk_for = seconds(10)};
  legs.push_back(sparse);
  Participant done = Leg("done", minutes(0));  // talks once, then never again
  done.speech = {.kind = SpeechScript::Kind::kIntervals, .intervals = {{minutes(1), minutes(2)}}};
  legs.push_back(done);
  Participant muted = Leg("muted", minutes(0));
  muted.speech = SpeechScript::Always();
  muted.muted = true;
  legs.push_back(muted);

  SilenceIndex index;
  for (Participant& leg : legs) index.Update(leg, kStart);
  // Filed: three legs quiet for good ("done" once its burst ends), two with a minute or more
  // between bursts ("sparse", and "done" before its burst); the unmuted talker and the chatty
  // one can never be silent for a minute.
  EXPECT_EQ(index.quiet_legs(), 3u);
  EXPECT_EQ(index.legs_with_long_gaps(), 2u);
  auto ids = [&](TimePoint now) {
    std::vector<std::string> out;
    for (const SilentLeg& leg : index.List(legs, now, minutes(10))) out.push_back(leg.participant_id);
    return out;
  };
  EXPECT_EQ(ids(kStart + minutes(10)), (std::vector<std::string>{"muted", "quiet"}));
  // "sparse" talked until 10s: silent for ten minutes from 10m10s, until it talks at 20m00s.
  EXPECT_EQ(ids(kStart + minutes(12)), (std::vector<std::string>{"muted", "quiet", "sparse", "done"}));
  EXPECT_EQ(ids(kStart + minutes(20)), (std::vector<std::string>{"muted", "quiet", "done"}));
  // It talked at 20m00s..20m10s: silent for ten minutes again at 30m10s.
  EXPECT_EQ(ids(kStart + minutes(30)), (std::vector<std::string>{"muted", "quiet", "done"}));
  EXPECT_EQ(ids(kStart + minutes(30) + seconds(10)),
            (std::vector<std::string>{"muted", "quiet", "done", "sparse"}));
}

SpeechScript RandomScript(std::mt19937_64& rng) {
  auto pick = [&](int from, int to) { return std::uniform_int_distribution<int>(from, to)(rng); };
  switch (pick(0, 4)) {
    case 0: return SpeechScript::Never();
    case 1: return SpeechScript::Always();
    case 2:
    case 3:
      return {.kind = SpeechScript::Kind::kPeriodic, .every = seconds(30 * pick(0, 40)),
              .talk_for = seconds(30 * pick(0, 10)), .offset = seconds(30 * pick(0, 30))};
    default: {
      SpeechScript script{.kind = SpeechScript::Kind::kIntervals};
      for (int i = pick(0, 4); i > 0; --i) {
        const int start = 30 * pick(0, 80);
        script.intervals.emplace_back(seconds(start), seconds(start + 30 * pick(1, 20)));
      }
      std::sort(script.intervals.begin(), script.intervals.end());
      return script;
    }
  }
}

// A seeded random world of 30 conversations whose legs change at random instants: mutes,
// holds, new scripts, drops and answers. Scripts and steps are on a coarse grid, so that
// silences of exactly a threshold (the boundaries an index gets wrong) happen often.
class ChangingWorld {
 public:
  explicit ChangingWorld(uint64_t seed)
      : rng_(seed),
        lifecycle_(world, clock_, journal_,
                   [this](TimePoint at, std::function<void(TimerId)> fire) {
                     auto id = std::make_shared<TimerId>(0);
                     *id = clock_.Schedule(at, [id, fire = std::move(fire)] { fire(*id); });
                     return *id;
                   }) {
    lifecycle_.set_disconnect_latency(seconds(Pick(0, 5)));
    WorldSpec spec;
    for (int c = 0; c < 30; ++c) {
      ConversationSpec& conv = spec.conversations.emplace_back();
      for (int l = Pick(2, 5); l > 0; --l) {
        conv.legs.push_back({.state = Pick(0, 5) == 0 ? LegState::kAlerting : LegState::kConnected,
                             .held = Pick(0, 6) == 0,
                             .muted = Pick(0, 6) == 0,
                             .speech = RandomScript(rng_)});
      }
    }
    IdGenerator ids(seed);
    built_ = BuildWorld(spec, world, ids, clock_.Now(), seed).ok();
  }

  bool built() const { return built_; }
  TimePoint Now() const { return clock_.Now(); }

  // Up to two minutes pass, then one leg may change: the index of that leg.
  size_t Step() {
    clock_.Advance(seconds(10 * Pick(0, 12)));
    const size_t i = static_cast<size_t>(Pick(0, static_cast<int>(world.leg_storage.size()) - 1));
    Participant& leg = world.leg_storage[i];
    const TimePoint now = clock_.Now();
    if (!IsLive(leg.state)) return i;
    switch (Pick(0, 9)) {
      case 0:
      case 1:
        (void)lifecycle_.SetFlag(leg, &Participant::muted, !leg.muted, now);
        break;
      case 2:
      case 3:
        if (LegLifecycle::CheckFlag(leg, &Participant::held, !leg.held).ok()) {
          (void)lifecycle_.SetFlag(leg, &Participant::held, !leg.held, now);
        }
        break;
      case 4:
      case 5:
        lifecycle_.SetSpeech(leg, RandomScript(rng_), now);
        break;
      case 6:
        if (leg.state == LegState::kAlerting) lifecycle_.Answer(leg, now);
        break;
      case 7:
        lifecycle_.ScheduleDrop(leg, now);
        break;
      default:
        break;  // time passes
    }
    return i;
  }

  WorldState world;

 private:
  int Pick(int from, int to) { return std::uniform_int_distribution<int>(from, to)(rng_); }

  std::mt19937_64 rng_;
  ManualClock clock_{ManualClockOptions{.start = kStart}};
  Journal journal_;
  LegLifecycle lifecycle_;
  bool built_ = false;
};

std::vector<std::pair<std::string, TimePoint>> Summary(const std::vector<SilentLeg>& listing) {
  std::vector<std::pair<std::string, TimePoint>> out;
  for (const SilentLeg& leg : listing) out.emplace_back(leg.participant_id, leg.media.silent_since);
  return out;
}

// The index must list exactly what a walk over every leg lists, whatever happens to the legs.
class SilenceIndexPropertyTest : public testing::TestWithParam<uint64_t> {};

TEST_P(SilenceIndexPropertyTest, ListsWhatAWalkOverEveryLegLists) {
  ChangingWorld changing(GetParam());
  ASSERT_TRUE(changing.built());
  const WorldState& world = changing.world;
  const Duration thresholds[] = {seconds(30), minutes(1), minutes(5), minutes(10), minutes(15),
                                 minutes(25)};
  for (int step = 0; step < 400; ++step) {
    changing.Step();
    for (Duration threshold : thresholds) {
      ASSERT_EQ(Summary(world.silence.List(world.leg_storage, changing.Now(), threshold)),
                Summary(ListSilentLegs(world.leg_storage, changing.Now(), threshold)))
          << "seed " << GetParam() << ", step " << step << ", silent for "
          << std::chrono::duration_cast<seconds>(threshold).count() << "s";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SilenceIndexPropertyTest, testing::Range<uint64_t>(1, 41));

// What the harness excuses a drop by: a leg's silence as of an earlier instant, worked out from
// what the leg records later. It may read shorter than it was, never longer, and is exact after
// the leg's last change. Checked against each leg's silence as it was at every step.
class SilenceAsOfPropertyTest : public testing::TestWithParam<uint64_t> {};

TEST_P(SilenceAsOfPropertyTest, NeverReadsLongerThanTheSilenceWas) {
  ChangingWorld changing(GetParam());
  ASSERT_TRUE(changing.built());
  const auto& legs = changing.world.leg_storage;
  // Per leg: (instant, its silence as ComputeMedia gave it then).
  std::vector<std::vector<std::pair<TimePoint, TimePoint>>> was(legs.size());
  const auto check = [&](size_t i, int step) {
    for (const auto& [at, silent_since] : was[i]) {
      const TimePoint as_of = SilentSinceAsOf(legs[i], at);
      ASSERT_GE(as_of, silent_since) << "seed " << GetParam() << ", step " << step << ", leg " << i
                                     << ": a silence read longer than it was";
      if (at > legs[i].audible_since) {  // (several steps may share an instant)
        ASSERT_EQ(as_of, silent_since) << "seed " << GetParam() << ", step " << step << ", leg "
                                       << i << ": not exact after the leg's last change";
      }
    }
  };
  for (int step = 0; step < 300; ++step) {
    const size_t changed = changing.Step();
    const TimePoint now = changing.Now();
    for (size_t i = 0; i < legs.size(); ++i) {
      was[i].emplace_back(now, ComputeMedia(legs[i], now).silent_since);
    }
    check(changed, step);
  }
  for (size_t i = 0; i < legs.size(); ++i) check(i, 300);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SilenceAsOfPropertyTest, testing::Range<uint64_t>(1, 41));

}  // namespace
}  // namespace gcsim::core
