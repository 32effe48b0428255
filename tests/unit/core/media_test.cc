#include <gtest/gtest.h>

#include "gcsim/core/model.h"

namespace gcsim::core {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using nlohmann::json;

const TimePoint kT0 = TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1));

TEST(SpeechScriptTest, NeverAndAlways) {
  EXPECT_FALSE(SpeechScript::Never().LastSpeakingAt(kT0, kT0, kT0 + minutes(5)).has_value());
  EXPECT_EQ(SpeechScript::Always().LastSpeakingAt(kT0, kT0, kT0 + minutes(5)), kT0 + minutes(5));
  EXPECT_TRUE(SpeechScript::Always().SpeakingAt(kT0, kT0 + seconds(1)));
  EXPECT_FALSE(SpeechScript::Never().SpeakingAt(kT0, kT0 + seconds(1)));
}

TEST(SpeechScriptTest, PeriodicIsHeardUntilTheEndOfEachBurst) {
  const auto script = *ParseSpeech(json{{"every", "30s"}, {"for", "10s"}, {"offset", "5s"}});
  EXPECT_FALSE(script.LastSpeakingAt(kT0, kT0, kT0 + seconds(4)).has_value());
  EXPECT_EQ(script.LastSpeakingAt(kT0, kT0, kT0 + seconds(7)), kT0 + seconds(7));
  EXPECT_EQ(script.LastSpeakingAt(kT0, kT0, kT0 + seconds(20)), kT0 + seconds(15));
  EXPECT_EQ(script.LastSpeakingAt(kT0, kT0, kT0 + seconds(36)), kT0 + seconds(36));
  // Nothing heard inside [20s, 34s]: the burst ended at 15s.
  EXPECT_FALSE(script.LastSpeakingAt(kT0, kT0 + seconds(20), kT0 + seconds(34)).has_value());
  EXPECT_TRUE(script.SpeakingAt(kT0, kT0 + seconds(5)));
  EXPECT_FALSE(script.SpeakingAt(kT0, kT0 + seconds(15)));
}

TEST(SpeechScriptTest, ExplicitIntervals) {
  const auto script = *ParseSpeech(json::parse(R"({"intervals": [["9m59s", "10m"], ["1m", "1m30s"]]})"));
  EXPECT_EQ(script.LastSpeakingAt(kT0, kT0, kT0 + minutes(5)), kT0 + seconds(90));
  EXPECT_EQ(script.LastSpeakingAt(kT0, kT0, kT0 + minutes(20)), kT0 + minutes(10));
  EXPECT_FALSE(script.LastSpeakingAt(kT0, kT0, kT0 + seconds(59)).has_value());
  EXPECT_TRUE(script.SpeakingAt(kT0, kT0 + seconds(599)));
}

TEST(SpeechScriptTest, BadScriptsAreClearErrors) {
  EXPECT_FALSE(ParseSpeech("sometimes").ok());
  EXPECT_FALSE(ParseSpeech(json{{"every", "30s"}}).ok());
  EXPECT_FALSE(ParseSpeech(json{{"every", "10s"}, {"for", "30s"}}).ok());
  EXPECT_FALSE(ParseSpeech(json{{"every", "10x"}, {"for", "3s"}}).ok());
  EXPECT_FALSE(ParseSpeech(json::parse(R"({"intervals": [["2m", "1m"]]})")).ok());
  EXPECT_FALSE(ParseSpeech(json{{"every", "10s"}, {"for", "3s"}, {"phase", "1s"}}).ok());
  EXPECT_NE(ParseSpeech(json{{"every", "10x"}, {"for", "3s"}}).status().message().find("every"),
            std::string::npos);
}

TEST(SpeechScriptTest, RoundTripsThroughJson) {
  for (const json& text : {json("never"), json("always"),
                           json{{"every", "30s"}, {"for", "10s"}, {"offset", "5s"}},
                           json::parse(R"({"intervals": [["1m", "1m30s"]]})")}) {
    EXPECT_EQ(SpeechToJson(*ParseSpeech(text)), text);
  }
}

Participant ConnectedLeg(SpeechScript speech) {
  Participant leg;
  leg.state = LegState::kConnected;
  leg.start_time = kT0;
  leg.connected_time = kT0;
  leg.speech = std::move(speech);
  leg.speech_anchor = kT0;
  leg.audible_since = kT0;
  return leg;
}

TEST(ComputeMediaTest, SilentSinceJoiningWhenNeverHeard) {
  const Participant leg = ConnectedLeg(SpeechScript::Never());
  const MediaState media = ComputeMedia(leg, kT0 + minutes(10));
  EXPECT_TRUE(media.flowing);
  EXPECT_FALSE(media.speaking);
  EXPECT_FALSE(media.last_heard_at.has_value());
  EXPECT_EQ(media.silent_since, kT0);
  EXPECT_EQ(media.silent_for, minutes(10));
}

TEST(ComputeMediaTest, MutedOrHeldLegIsNotHeard) {
  for (bool Participant::*flag : {&Participant::muted, &Participant::held}) {
    Participant leg = ConnectedLeg(SpeechScript::Always());
    leg.*flag = true;
    const MediaState media = ComputeMedia(leg, kT0 + minutes(3));
    EXPECT_TRUE(media.speaking);
    EXPECT_FALSE(media.last_heard_at.has_value());
    EXPECT_EQ(media.silent_for, minutes(3));
  }
}

TEST(ComputeMediaTest, SilenceAsOfAnEarlierInstant) {
  Participant leg =
      ConnectedLeg(*ParseSpeech(json::parse(R"({"intervals": [["1m", "2m"], ["10m", "11m"]]})")));
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + seconds(30)), kT0);  // not yet heard: since it connected
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + minutes(9)), kT0 + minutes(2));
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + minutes(10) + seconds(5)), kT0 + minutes(10) + seconds(5));
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + minutes(12)),
            ComputeMedia(leg, kT0 + minutes(12)).silent_since);
  // Muted at 10m30s: what it said before is folded into when it was last heard, and every
  // instant up to that counts as heard (shorter, never longer).
  leg.muted = true;
  leg.heard_before = kT0 + minutes(10) + seconds(30);
  leg.audible_since = kT0 + minutes(10) + seconds(30);
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + minutes(9)), kT0 + minutes(9));
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + minutes(12)), kT0 + minutes(10) + seconds(30));
}

// Muted from 1m (held from 1m to 5m, then muted), unmuted at 12m for a word, muted again at
// 12m1s: what it said before that last change is folded into one instant, 12m1s. Its segments
// still show that it could not be heard from 1m until 12m.
TEST(ComputeMediaTest, SilenceAsOfAnInstantInAHoldOrMuteThatEndedSince) {
  Participant leg = ConnectedLeg(SpeechScript::Always());
  leg.segments = {{.type = SegmentType::kInteract, .start = kT0, .end = kT0 + minutes(1)},
                  {.type = SegmentType::kHold, .start = kT0 + minutes(1), .end = kT0 + minutes(5)},
                  {.type = SegmentType::kInteract,
                   .audio_muted = true,
                   .start = kT0 + minutes(5),
                   .end = kT0 + minutes(12)},
                  {.type = SegmentType::kInteract,
                   .start = kT0 + minutes(12),
                   .end = kT0 + minutes(12) + seconds(1)},
                  {.type = SegmentType::kInteract,
                   .audio_muted = true,
                   .start = kT0 + minutes(12) + seconds(1)}};
  leg.muted = true;
  leg.heard_before = kT0 + minutes(12) + seconds(1);
  leg.audible_since = kT0 + minutes(12) + seconds(1);
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + minutes(11) + seconds(59)), kT0 + minutes(1));
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + minutes(3)), kT0 + minutes(1));
  // Audible then: every instant up to it counts as heard, as before.
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + seconds(30)), kT0 + seconds(30));
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + minutes(12)), kT0 + minutes(12));
  // Since the last change it is muted: silent since its last word.
  EXPECT_EQ(SilentSinceAsOf(leg, kT0 + minutes(13)), kT0 + minutes(12) + seconds(1));
}

TEST(ComputeMediaTest, DisconnectedLegHasNoMedia) {
  Participant leg = ConnectedLeg(SpeechScript::Always());
  leg.state = LegState::kDisconnected;
  leg.end_time = kT0 + minutes(1);
  const MediaState media = ComputeMedia(leg, kT0 + minutes(3));
  EXPECT_FALSE(media.flowing);
  EXPECT_FALSE(media.speaking);
}

TEST(EnumsTest, ParseAndPrint) {
  EXPECT_EQ(ParseLegState("disconnected"), LegState::kDisconnected);
  EXPECT_FALSE(ParseLegState("gone").has_value());
  EXPECT_STREQ(ToString(LegState::kTerminated), "terminated");
  EXPECT_EQ(ParsePurpose("ivr"), Purpose::kIvr);
  EXPECT_FALSE(IsHuman(Purpose::kAcd));
  EXPECT_TRUE(IsHuman(Purpose::kExternal));
  EXPECT_EQ(ParseProfile("strict"), Profile::kStrict);
  EXPECT_NE(AllLegStates().find("alerting, dialing"), std::string::npos);
}

}  // namespace
}  // namespace gcsim::core
