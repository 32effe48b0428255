#include "gcsim/client/reaper.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <sstream>

#include "fake_transport.h"
#include "fake_world.h"

namespace gcsim::client {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::ErrorResponse;
using testing::FakeLeg;
using testing::FakeTransport;
using testing::FakeWorld;
using testing::SentRequest;

std::vector<LegId> Legs(const std::vector<DroppedLeg>& dropped) {
  std::vector<LegId> out;
  for (const DroppedLeg& d : dropped) out.push_back(d.leg);
  return out;
}

std::string Reasons(const StepReport& report) {
  std::string out;
  for (const SkippedLeg& s : report.skipped) out += s.leg.participant_id + ":" + s.reason + ";";
  return out;
}

class ClientReaperTest : public ::testing::Test {
 protected:
  ClientReaperTest()
      : clock_({.advance_on_wait = true}),
        world_(clock_),
        transport_(clock_,
                   [this](const std::string& base, const HttpRequest& request) {
                     return world_.Handle(base, request);
                   }),
        logger_(log_, clock_, {.format = LogFormat::kText, .min_level = LogLevel::kDebug}),
        client_(
            ApiClientOptions{
                .api_url = "http://127.0.0.1:1", .client_id = "id", .client_secret = "secret"},
            clock_, transport_, &logger_),
        sim_(client_) {}

  Reaper& MakeReaper(ReaperOptions options = {}, ActivitySource* source = nullptr) {
    reaper_ = std::make_unique<Reaper>(options, client_, source ? *source : sim_, clock_, logger_);
    return *reaper_;
  }
  TimePoint Now() const { return clock_.Now(); }
  int Count(const std::string& prefix) const { return world_.Count(transport_.sent(), prefix); }

  ManualClock clock_;
  FakeWorld world_;
  FakeTransport transport_;
  std::ostringstream log_;
  Logger logger_;
  ApiClient client_;
  SimActivitySource sim_;
  std::unique_ptr<Reaper> reaper_;
};

TEST_F(ClientReaperTest, DropsTheIdleLegAndLeavesTheHeardOnes) {
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "talking", "agent", Now() - minutes(2));
  world_.AddLeg("c1", "other", "external", Now() - seconds(5));
  Reaper& reaper = MakeReaper();

  const StepReport report = reaper.Step(Now());
  ASSERT_EQ(report.candidates.size(), 1u);
  EXPECT_EQ(report.confirmed, (std::vector<LegId>{{"c1", "idle"}}));
  EXPECT_EQ(Legs(report.dropped), (std::vector<LegId>{{"c1", "idle"}}));
  EXPECT_EQ(report.dropped[0].at, Now());
  EXPECT_EQ(report.dropped[0].http_status, 202);
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(world_.Find("c1", "idle")->state, "disconnected");
  EXPECT_EQ(world_.Find("c1", "talking")->state, "connected");
  // The drop used the generic endpoint with the one body that works.
  const HttpRequest& patch = transport_.sent().back().request;
  EXPECT_EQ(patch.target, "/api/v2/conversations/c1/participants/idle");
  EXPECT_EQ(patch.body, R"({"state":"disconnected"})");
  EXPECT_NE(log_.str().find("dropped conversation=c1 participant=idle"), std::string::npos);
}

TEST_F(ClientReaperTest, ExactlyTheTimeoutCountsAsIdle) {
  world_.AddLeg("c1", "exact", "customer", Now() - minutes(10));
  world_.AddLeg("c2", "almost", "customer", Now() - minutes(10) + std::chrono::milliseconds(1));
  world_.AddLeg("c2", "peer", "agent", Now());
  world_.AddLeg("c1", "peer", "agent", Now());
  Reaper& reaper = MakeReaper();
  const StepReport report = reaper.Step(Now());
  EXPECT_EQ(Legs(report.dropped), (std::vector<LegId>{{"c1", "exact"}}));
}

// A fixed answer, to test the reaper's own guard against a source that over-reports.
class ScriptedSource final : public ActivitySource {
 public:
  Result<std::vector<Candidate>> Candidates(TimePoint, Duration) override { return candidates; }
  Result<std::optional<TimePoint>> SilentSince(const std::string& conversation_id,
                                               const std::string& participant_id,
                                               TimePoint) override {
    for (const Candidate& c : candidates) {
      if (c.conversation_id == conversation_id && c.participant_id == participant_id) {
        return std::optional<TimePoint>(c.silent_since);
      }
    }
    return std::optional<TimePoint>();
  }
  const char* name() const override { return "scripted"; }
  std::vector<Candidate> candidates;
};

TEST_F(ClientReaperTest, NeverDropsALegHeardWithinTheTimeoutWhateverTheSourceSays) {
  world_.AddLeg("c1", "heard", "customer", Now() - minutes(9));
  world_.AddLeg("c1", "peer", "agent", Now());
  ScriptedSource source;
  source.candidates = {{"c1", "heard", "customer", Now() - minutes(9)}};
  Reaper& reaper = MakeReaper({}, &source);
  const StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Reasons(report), "heard:heard within the idle timeout;");
  EXPECT_EQ(Count("PATCH"), 0);
  EXPECT_EQ(Count("GET /api/v2/conversations"), 0);
}

TEST_F(ClientReaperTest, DropsOnlyAllowedPurposes) {
  world_.AddLeg("c1", "ivr", "ivr", Now() - minutes(30));
  world_.AddLeg("c1", "acd", "acd", Now() - minutes(30));
  world_.AddLeg("c1", "agent", "agent", Now() - minutes(30));
  world_.AddLeg("c1", "customer", "customer", Now());
  Reaper& reaper = MakeReaper({.purposes = {"agent", "acd"}});
  StepReport report = reaper.Step(Now());
  EXPECT_EQ(Legs(report.dropped), (std::vector<LegId>{{"c1", "acd"}, {"c1", "agent"}}));
  EXPECT_EQ(Reasons(report), "ivr:purpose ivr not allowed;");

  // The purpose the API reports wins over the source's.
  ScriptedSource source;
  world_.AddLeg("c2", "sneaky", "ivr", Now() - minutes(30));
  world_.AddLeg("c2", "peer", "customer", Now());
  source.candidates = {{"c2", "sneaky", "agent", Now() - minutes(30)}};
  Reaper& second = MakeReaper({}, &source);
  report = second.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Reasons(report), "sneaky:purpose ivr not allowed;");
}

TEST_F(ClientReaperTest, DryRunDropsNothing) {
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  Reaper& reaper = MakeReaper({.dry_run = true});
  const StepReport report = reaper.Step(Now());
  EXPECT_EQ(report.confirmed, (std::vector<LegId>{{"c1", "idle"}}));
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 0);
  EXPECT_EQ(world_.Find("c1", "idle")->state, "connected");
  EXPECT_NE(log_.str().find("would_drop conversation=c1 participant=idle"), std::string::npos);
  EXPECT_EQ(reaper.totals().dropped, 0u);
}

TEST_F(ClientReaperTest, SkipsLegsThatAreNotLiveAndConnected) {
  world_.AddLeg("c1", "alerting", "agent", Now() - minutes(11)).state = "alerting";
  world_.AddLeg("c1", "peer", "customer", Now());
  ScriptedSource source;
  source.candidates = {{"c1", "alerting", "agent", Now() - minutes(11)},
                       {"c1", "ghost", "agent", Now() - minutes(11)},
                       {"gone", "x", "agent", Now() - minutes(11)}};
  Reaper& reaper = MakeReaper({}, &source);
  const StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(Reasons(report),
            "alerting:state alerting;ghost:not a participant of the conversation;"
            "x:conversation gone;");
}

TEST_F(ClientReaperTest, LegsAlreadyGoneAreNotErrors) {
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.patch_answer = ErrorResponse(400, "conversation.error.call.disconnected");
  Reaper& reaper = MakeReaper();
  StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.errors.empty());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Reasons(report), "idle:already gone;");

  world_.patch_answer = ErrorResponse(404, "conversation.error.not.conversation.participant");
  report = reaper.Step(Now());
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(Reasons(report), "idle:already gone;");

  // Any other refusal is an error, and the leg is tried again next tick.
  world_.patch_answer = ErrorResponse(400, "conversation.error.cannot.disconnect.call");
  report = reaper.Step(Now());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].status.reason(), "conversation.error.cannot.disconnect.call");
  EXPECT_EQ(reaper.pending(), 0u);
}

TEST_F(ClientReaperTest, VerifiesADropOnALaterTick) {
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "a", "agent", Now());
  world_.AddLeg("c1", "b", "agent", Now());
  Reaper& reaper = MakeReaper();
  StepReport report = reaper.Step(Now());
  ASSERT_EQ(report.dropped.size(), 1u);
  EXPECT_EQ(reaper.pending(), 1u);

  clock_.Advance(seconds(15));
  report = reaper.Step(Now());
  EXPECT_EQ(report.verified, (std::vector<LegId>{{"c1", "idle"}}));
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(reaper.pending(), 0u);
  const ReaperTotals totals = reaper.totals();
  EXPECT_EQ(totals.legs_seen, 1u);
  EXPECT_EQ(totals.dropped, 1u);
  EXPECT_EQ(totals.verified, 1u);
  EXPECT_EQ(totals.stuck, 0u);
  EXPECT_EQ(totals.requests, transport_.sent().size());

  // Nothing left to do: a quiet tick costs the media view only.
  const size_t before = transport_.sent().size();
  report = reaper.Step(Now() + seconds(15));
  EXPECT_EQ(transport_.sent().size() - before, 1u);
  EXPECT_EQ(report.requests, 1u);
}

TEST_F(ClientReaperTest, SkipsLegsAlreadyBeingHandled) {
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.ignore_drops = true;
  Reaper& reaper = MakeReaper();
  reaper.Step(Now());
  clock_.Advance(seconds(15));
  const StepReport report = reaper.Step(Now());
  EXPECT_EQ(Reasons(report), "idle:already being handled;");
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 1);
  EXPECT_EQ(reaper.totals().legs_seen, 1u);
}

TEST_F(ClientReaperTest, RetriesALegThatStaysUpThenReportsItStuckOnce) {
  world_.AddLeg("c1", "zombie", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.ignore_drops = true;
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30), .max_attempts = 3});
  const TimePoint t0 = Now();

  std::vector<int> attempts;
  std::vector<LegId> stuck;
  for (TimePoint t = t0; t <= t0 + minutes(3); t += seconds(15)) {
    clock_.AdvanceTo(t);
    const StepReport report = reaper.Step(t);
    for (const DroppedLeg& d : report.dropped) {
      attempts.push_back(d.attempt);
      EXPECT_EQ((d.at - t0) % seconds(30), Duration(0)) << "retry only after verify_timeout";
    }
    for (const StuckLeg& s : report.stuck) {
      stuck.push_back(s.leg);
      EXPECT_EQ(t - t0, seconds(90));  // third drop at 60 s, still up 30 s later
      EXPECT_EQ(s.why, "still up after 3 drops (state connected, media flowing)");
    }
    EXPECT_TRUE(report.verified.empty());
  }
  EXPECT_EQ(attempts, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(stuck, (std::vector<LegId>{{"c1", "zombie"}}));
  EXPECT_EQ(Count("PATCH"), 3);
  EXPECT_EQ(reaper.totals().stuck, 1u);
  EXPECT_EQ(reaper.totals().dropped, 1u);
  EXPECT_EQ(reaper.pending(), 0u);
  EXPECT_EQ(reaper.totals().legs_seen, 1u);  // a candidate every tick, one leg
  EXPECT_NE(log_.str().find("ERROR stuck conversation=c1 participant=zombie"), std::string::npos);
}

TEST_F(ClientReaperTest, AStuckLegHeardAgainGetsAFreshStart) {
  world_.AddLeg("c1", "zombie", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.ignore_drops = true;
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30), .max_attempts = 1});
  reaper.Step(Now());
  clock_.Advance(seconds(30));
  ASSERT_EQ(reaper.Step(Now()).stuck.size(), 1u);

  world_.Find("c1", "zombie")->silent_since = Now();  // heard: no longer a candidate
  clock_.Advance(seconds(15));
  EXPECT_TRUE(reaper.Step(Now()).candidates.empty());
  clock_.Advance(minutes(10));
  world_.Find("c1", "peer")->silent_since = Now();  // still talking
  const StepReport report = reaper.Step(Now());
  ASSERT_EQ(Legs(report.dropped), (std::vector<LegId>{{"c1", "zombie"}}));
  EXPECT_EQ(report.dropped[0].attempt, 1);
  EXPECT_EQ(reaper.totals().legs_seen, 2u);  // two stretches of silence
}

TEST_F(ClientReaperTest, MediaStillFlowingIsNotVerified) {
  world_.AddLeg("c1", "leaky", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "a", "agent", Now());
  world_.AddLeg("c1", "b", "agent", Now());
  world_.media_survives_drop = true;
  Reaper& reaper = MakeReaper({.max_attempts = 2});
  const TimePoint t0 = Now();
  int verified = 0;
  int stuck = 0;
  for (TimePoint t = t0; t <= t0 + minutes(2); t += seconds(15)) {
    clock_.AdvanceTo(t);
    const StepReport report = reaper.Step(t);
    verified += static_cast<int>(report.verified.size());
    stuck += static_cast<int>(report.stuck.size());
    EXPECT_TRUE(report.errors.empty());  // the retry's "already disconnected" is expected
  }
  EXPECT_EQ(world_.Find("c1", "leaky")->state, "disconnected");
  EXPECT_EQ(verified, 0);
  EXPECT_EQ(stuck, 1);
}

TEST_F(ClientReaperTest, RequestsGrowWithCandidatesNotWithTheOrg) {
  // 200 conversations of three talking legs; three idle legs in two of them.
  for (int i = 0; i < 200; ++i) {
    const std::string cid = "c" + std::to_string(1000 + i);
    for (int j = 0; j < 3; ++j) world_.AddLeg(cid, "p" + std::to_string(j), "agent", Now());
  }
  world_.AddLeg("c1000", "idle1", "customer", Now() - minutes(12));
  world_.AddLeg("c1000", "idle2", "customer", Now() - minutes(11));
  world_.AddLeg("c1001", "idle3", "customer", Now() - minutes(20));
  Reaper& reaper = MakeReaper();
  StepReport report = reaper.Step(Now());
  EXPECT_EQ(report.dropped.size(), 3u);
  EXPECT_EQ(Count("POST /oauth/token"), 1);
  EXPECT_EQ(Count("GET /sim/v1/media"), 1);
  EXPECT_EQ(Count("GET /api/v2/conversations/calls/"), 2);  // one per conversation
  EXPECT_EQ(Count("PATCH"), 3);
  EXPECT_EQ(Count("GET /sim/v1/conversations/"), 0);  // no wait, so no read again
  EXPECT_EQ(report.requests, 7u);

  clock_.Advance(seconds(15));
  report = reaper.Step(Now());
  EXPECT_EQ(report.verified.size(), 3u);
  EXPECT_EQ(report.requests, 3u);  // media view + one GET per conversation
  // Without the token: at most three requests per dropped leg, media views included.
  EXPECT_LE(transport_.sent().size() - 1, 3u * 3);
}

TEST_F(ClientReaperTest, ASourceFailureIsAnErrorAndDropsNothing) {
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(11));
  Reaper& reaper = MakeReaper();
  // The first try and the client's four retries all fail.
  for (int i = 0; i < 5; ++i) transport_.Push(UnavailableError("connection refused"));
  const StepReport report = reaper.Step(Now());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 0);
  EXPECT_EQ(reaper.totals().errors, 1u);
  EXPECT_EQ(reaper.totals().retries, 4u);
}

TEST_F(ClientReaperTest, VerifyPendingNeverDrops) {
  world_.AddLeg("c1", "zombie", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.ignore_drops = true;
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  reaper.Step(Now());
  world_.AddLeg("c2", "new", "customer", Now() - minutes(11));
  world_.AddLeg("c2", "peer", "agent", Now());
  clock_.Advance(minutes(5));
  const StepReport report = reaper.VerifyPending(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_TRUE(report.stuck.empty());
  EXPECT_TRUE(report.candidates.empty());
  EXPECT_EQ(Count("PATCH"), 1);
  EXPECT_EQ(reaper.pending(), 1u);
}

TEST_F(ClientReaperTest, SignalsSourceFindsLegsMutedOrHeldForTheWholeTimeout) {
  world_.AddLeg("c1", "held", "customer", Now() - minutes(11)).segment_type = "hold";
  FakeLeg& muted = world_.AddLeg("c1", "muted", "agent", Now());
  muted.audio_muted = true;
  muted.segment_start = Now() - minutes(10);
  FakeLeg& recent = world_.AddLeg("c1", "recent", "agent", Now());
  recent.audio_muted = true;
  recent.segment_start = Now() - minutes(9);
  world_.AddLeg("c1", "silent_but_open", "external", Now() - minutes(30));  // interact, unmuted
  FakeLeg& ended = world_.AddLeg("c2", "ended", "agent", Now() - minutes(30));
  ended.segment_type = "hold";
  ended.state = "disconnected";

  SignalsActivitySource signals(client_);
  auto candidates = signals.Candidates(Now(), minutes(10));
  ASSERT_TRUE(candidates.ok()) << candidates.status().ToString();
  std::vector<std::string> ids;
  for (const Candidate& c : *candidates) ids.push_back(c.participant_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"held", "muted"}));
  EXPECT_EQ((*candidates)[1].silent_since, Now() - minutes(10));
  EXPECT_FALSE(signals.StillFlowing("c1", "held").has_value());

  Reaper& reaper = MakeReaper({}, &signals);
  const StepReport report = reaper.Step(Now());
  EXPECT_EQ(Legs(report.dropped), (std::vector<LegId>{{"c1", "held"}, {"c1", "muted"}}));
  clock_.Advance(seconds(15));
  EXPECT_EQ(reaper.Step(Now()).verified.size(), 2u);
}

TEST_F(ClientReaperTest, SignalsNeedEveryOpenSegmentSilent) {
  // One participant, two voice sessions: held in one, talking in the other.
  nlohmann::json j = {
      {"totalHits", 1},
      {"conversations",
       {{{"conversationId", "c1"},
         {"conversationStart", FormatIso8601(Now() - minutes(30))},
         {"participants",
          {{{"participantId", "p1"},
            {"purpose", "agent"},
            {"sessions",
             {{{"mediaType", "voice"},
               {"segments",
                {{{"segmentType", "hold"}, {"segmentStart", FormatIso8601(Now() - minutes(20))}}}}},
              {{"mediaType", "voice"},
               {"segments",
                {{{"segmentType", "interact"},
                  {"segmentStart", FormatIso8601(Now() - minutes(20))}}}}}}}}}}}}}};
  transport_.Push(testing::TokenResponse("t"));
  transport_.Push(testing::JsonResponse(200, j.dump()));
  SignalsActivitySource signals(client_);
  auto candidates = signals.Candidates(Now(), minutes(10));
  ASSERT_TRUE(candidates.ok()) << candidates.status().ToString();
  EXPECT_TRUE(candidates->empty());
}

// ---- Issue 9, item 1: a wait between reading a leg's silence and dropping it ----------------

// The field report: a budget of one request a minute, candidates read at 10m, the leg unmuted
// and talking from 10m5s, the PATCH paced to 11m. The wait must come before a fresh read.
TEST_F(ClientReaperTest, ALegHeardWhileTheTickWaitedOnTheBudgetIsNotDropped) {
  world_.rate_limit = 1;
  world_.AddLeg("c1", "sup", "user", Now() - minutes(10));
  world_.AddLeg("c1", "peer", "customer", Now());
  const TimePoint t0 = Now();
  clock_.Schedule(t0 + seconds(5), [this] { world_.Hear("c1", "sup"); });
  Reaper& reaper = MakeReaper();

  const StepReport report = reaper.Step(t0);
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 0);
  EXPECT_EQ(world_.Find("c1", "sup")->state, "connected");
  EXPECT_NE(Reasons(report).find("sup:heard at 2026-01-01T09:01:00.000Z, after its silence was "
                                 "read at 2026-01-01T09:00:00.000Z"),
            std::string::npos)
      << Reasons(report);
  EXPECT_EQ(Count("GET /sim/v1/conversations/c1/participants/sup/media"), 1);
  EXPECT_EQ(Now() - t0, seconds(60));  // the one wait, before the re-check
}

// The same budget, a leg that stays silent: dropped once the budget allows, on evidence read
// after the wait, with the PATCH right behind it.
TEST_F(ClientReaperTest, ALegStillSilentAfterTheWaitIsDroppedOnTheFreshRead) {
  world_.rate_limit = 1;
  world_.AddLeg("c1", "sup", "user", Now() - minutes(10));
  world_.AddLeg("c1", "peer", "customer", Now());
  const TimePoint t0 = Now();
  Reaper& reaper = MakeReaper();
  const StepReport report = reaper.Step(t0);
  ASSERT_EQ(Legs(report.dropped), (std::vector<LegId>{{"c1", "sup"}}));
  EXPECT_EQ(report.dropped[0].at, t0 + seconds(60));
  EXPECT_EQ(report.dropped[0].silent_since, t0 - minutes(10));
  const std::vector<SentRequest>& sent = transport_.sent();
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(sent[sent.size() - 2].request.target,
            "/sim/v1/conversations/c1/participants/sup/media");
  EXPECT_EQ(sent.back().request.method, "PATCH");
  EXPECT_EQ(sent.back().at, sent[sent.size() - 2].at);
  EXPECT_EQ(reaper.totals().max_lateness, seconds(60));
}

// Another script on the same OAuth client spent the budget: the reaper's GET gets a 429 and
// waits out Retry-After. What was read before that wait is read again.
TEST_F(ClientReaperTest, ALegHeardWhileTheTickWaitedOutA429IsNotDropped) {
  world_.rate_limit = 2;
  world_.AddLeg("c1", "sup", "user", Now() - minutes(10));
  world_.AddLeg("c1", "peer", "customer", Now());
  const TimePoint t0 = Now();
  world_.SpendBudget(2);
  clock_.Schedule(t0 + seconds(5), [this] { world_.Hear("c1", "sup"); });
  Reaper& reaper = MakeReaper();
  const StepReport report = reaper.Step(t0);
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 0);
  EXPECT_EQ(reaper.totals().rate_limited, 1u);
  EXPECT_EQ(world_.Find("c1", "sup")->state, "connected");
}

// The PATCH itself never waits: a 429 on it is a failed attempt, and the next tick decides
// again on fresh evidence (here: still silent, dropped).
TEST_F(ClientReaperTest, ADropThatWouldWaitIsAFailedAttemptDecidedAgainLater) {
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.patch_answer =
      ErrorResponse(429, "too.many.requests.retry.after", {{"Retry-After", "20"}});
  Reaper& reaper = MakeReaper();
  const TimePoint t0 = Now();
  StepReport report = reaper.Step(t0);
  EXPECT_EQ(Count("PATCH"), 1);  // not sent again after Retry-After
  EXPECT_EQ(Now(), t0);
  EXPECT_TRUE(report.dropped.empty());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(reaper.totals().failed_attempts, 1u);
  EXPECT_EQ(reaper.totals().failed_requests, 1u);

  world_.patch_answer.reset();
  clock_.Advance(seconds(15));
  report = reaper.Step(Now());
  ASSERT_EQ(Legs(report.dropped), (std::vector<LegId>{{"c1", "idle"}}));
  EXPECT_EQ(report.dropped[0].attempt, 1);
  EXPECT_EQ(report.dropped[0].at, t0 + seconds(20));  // the 429's budget waited out, then read
  EXPECT_EQ(Count("GET /sim/v1/conversations/c1/participants/idle/media"), 1);
  EXPECT_EQ(reaper.totals().dropped, 1u);
}

// ---- Issue 9, item 2: a retry is a new decision ---------------------------------------------

TEST_F(ClientReaperTest, ARetryOfALegHeardSinceTheDropIsNotSent) {
  world_.AddLeg("c1", "zombie", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.ignore_drops = true;
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  const TimePoint t0 = Now();
  ASSERT_EQ(reaper.Step(t0).dropped.size(), 1u);
  clock_.AdvanceTo(t0 + seconds(20));
  world_.Hear("c1", "zombie");
  clock_.AdvanceTo(t0 + seconds(30));
  const StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 1);
  EXPECT_EQ(Reasons(report), "zombie:heard since the drop; not dropped again;");
  EXPECT_EQ(reaper.pending(), 0u);
  EXPECT_EQ(reaper.totals().stuck, 0u);
}

// After a reset the same participant id names a new leg, silent only since it joined: the
// drop of the old one is not carried over to it. Ten minutes later it is a leg of its own.
TEST_F(ClientReaperTest, ARetryDoesNotDropANewLegUnderTheSameId) {
  world_.AddLeg("c1", "sup", "user", Now() - minutes(10));
  world_.AddLeg("c1", "a", "agent", Now());
  world_.AddLeg("c1", "b", "customer", Now());
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  const TimePoint t0 = Now();
  ASSERT_EQ(reaper.Step(t0).dropped.size(), 1u);
  clock_.AdvanceTo(t0 + seconds(10));
  FakeLeg* sup = world_.Find("c1", "sup");  // the reset: back, connected, silent since now
  sup->state = "connected";
  sup->flowing = true;
  sup->silent_since = Now();
  sup->connected_time = Now();

  std::vector<DroppedLeg> drops;
  for (TimePoint t = t0 + seconds(15); t <= t0 + minutes(11); t += seconds(15)) {
    clock_.AdvanceTo(t);
    world_.Find("c1", "a")->silent_since = t;  // the others keep talking
    world_.Find("c1", "b")->silent_since = t;
    const StepReport report = reaper.Step(t);
    for (const DroppedLeg& d : report.dropped) {
      if (d.leg.participant_id == "sup") drops.push_back(d);
    }
  }
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].at, t0 + minutes(10) + seconds(15));  // its own ten minutes, next tick
  EXPECT_EQ(drops[0].attempt, 1);
  EXPECT_EQ(drops[0].silent_since, t0 + seconds(10));
}

// The id may even come back looking just as silent (a source that cannot tell): a different
// connectedTime still says it is not the leg that was dropped.
TEST_F(ClientReaperTest, ARetryChecksTheLegIsTheOneDropped) {
  world_.AddLeg("c1", "zombie", "customer", Now() - minutes(11)).connected_time =
      Now() - minutes(11);
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.ignore_drops = true;
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  const TimePoint t0 = Now();
  ASSERT_EQ(reaper.Step(t0).dropped.size(), 1u);
  world_.Find("c1", "zombie")->connected_time = t0 + seconds(10);
  clock_.AdvanceTo(t0 + seconds(30));
  const StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Reasons(report),
            "zombie:already being handled;zombie:a new leg under the same id; not dropped again;");
}

// A retry after a wait reads the leg again, like a first drop.
TEST_F(ClientReaperTest, ARetryAfterAWaitReadsTheLegAgain) {
  world_.AddLeg("c1", "zombie", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.ignore_drops = true;
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  const TimePoint t0 = Now();
  ASSERT_EQ(reaper.Step(t0).dropped.size(), 1u);
  // At the retry, the conversation GET meets a spent budget and waits; the leg talks meanwhile.
  world_.rate_limit = 1;
  clock_.AdvanceTo(t0 + seconds(30));
  world_.SpendBudget(1);
  clock_.Schedule(Now() + seconds(5), [this] { world_.Hear("c1", "zombie"); });
  const StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 1);
  EXPECT_EQ(Count("GET /sim/v1/conversations/c1/participants/zombie/media"), 1);
}

// ---- Issue 9, item 3: legs that cannot be reached are reported -------------------------------

// The field report: another client on the same OAuth client used the whole budget for fifteen
// minutes. The leg's failed attempts count; it is reported stuck, with why, once; and it is
// dropped when the budget comes back, with the lateness in the totals.
TEST_F(ClientReaperTest, ALegUnreachableForFifteenMinutesIsReportedStuckThenDropped) {
  world_.rate_limit = 1;
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(10));
  world_.AddLeg("c1", "peer", "agent", Now());
  const TimePoint t0 = Now();
  for (int minute = 0; minute <= 15; ++minute) {
    clock_.Schedule(t0 + minutes(minute), [this] { world_.SpendBudget(1); });
  }
  clock_.AdvanceTo(t0);  // the other client goes first at 10m
  Reaper& reaper = MakeReaper({.max_attempts = 3});
  std::vector<StuckLeg> stuck;
  std::vector<DroppedLeg> drops;
  for (TimePoint next = t0; Now() < t0 + minutes(30);) {
    clock_.AdvanceTo(next);
    const TimePoint tick = Now();
    world_.Find("c1", "peer")->silent_since = tick;  // talking
    const StepReport report = reaper.Step(tick);
    stuck.insert(stuck.end(), report.stuck.begin(), report.stuck.end());
    drops.insert(drops.end(), report.dropped.begin(), report.dropped.end());
    next = std::max(tick + seconds(15), Now());
  }
  ASSERT_EQ(stuck.size(), 1u);
  EXPECT_EQ(stuck[0].leg, (LegId{"c1", "idle"}));
  EXPECT_EQ(
      stuck[0].why.rfind(
          "unreachable: 3 failed attempts, last: GET /api/v2/conversations/calls/c1: HTTP 429", 0),
      0u)
      << stuck[0].why;
  EXPECT_NE(stuck[0].why.find("429"), std::string::npos) << stuck[0].why;
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_GT(drops[0].at, t0 + minutes(15));
  const ReaperTotals totals = reaper.totals();
  EXPECT_EQ(totals.stuck, 1u);
  EXPECT_GE(totals.failed_attempts, 3u);
  EXPECT_GE(totals.failed_requests, 3u);
  EXPECT_EQ(totals.max_lateness, drops[0].at - t0);
  EXPECT_NE(log_.str().find("ERROR stuck conversation=c1 participant=idle why=\"unreachable: 3"),
            std::string::npos);
}

// Failed PATCHes count too, and are not retried inside the tick.
TEST_F(ClientReaperTest, FailedDropsCountTowardMaxAttempts) {
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.patch_answer = ErrorResponse(503, "service.unavailable");
  Reaper& reaper = MakeReaper({.max_attempts = 3});
  const TimePoint t0 = Now();
  std::vector<StuckLeg> stuck;
  for (TimePoint t = t0; t <= t0 + minutes(2); t += seconds(15)) {
    clock_.AdvanceTo(t);
    const StepReport report = reaper.Step(t);
    stuck.insert(stuck.end(), report.stuck.begin(), report.stuck.end());
    if (t == t0 + seconds(30)) {
      EXPECT_EQ(report.stuck.size(), 1u) << "third failed attempt";
    }
  }
  ASSERT_EQ(stuck.size(), 1u) << "reported once";
  EXPECT_EQ(
      stuck[0].why.rfind("unreachable: 3 failed attempts, last: PATCH /api/v2/conversations/c1/"
                         "participants/idle: HTTP 503",
                         0),
      0u)
      << stuck[0].why;
  EXPECT_EQ(Count("PATCH"), 9);  // one a tick: still tried, as the trouble may pass
  EXPECT_EQ(reaper.totals().stuck, 1u);
  EXPECT_EQ(reaper.totals().retries, 0u);
}

// A leg that was heard between failed attempts starts its next stretch with fresh attempts.
TEST_F(ClientReaperTest, FailedAttemptsAreForgottenOnceTheLegIsHeard) {
  world_.AddLeg("c1", "idle", "customer", Now() - minutes(11));
  world_.AddLeg("c1", "peer", "agent", Now());
  world_.patch_answer = ErrorResponse(503, "service.unavailable");
  Reaper& reaper = MakeReaper({.max_attempts = 2});
  reaper.Step(Now());
  world_.Hear("c1", "idle");
  clock_.Advance(seconds(15));
  reaper.Step(Now());
  world_.Find("c1", "idle")->speaking = false;
  clock_.Advance(minutes(10));
  world_.Find("c1", "peer")->silent_since = Now();
  EXPECT_TRUE(reaper.Step(Now()).stuck.empty()) << "one failed attempt in this stretch";
}

// ---- Signals: the re-check is the analytics query narrowed to the conversation ---------------

TEST_F(ClientReaperTest, SignalsReadsTheConversationAgainAfterAWait) {
  world_.rate_limit = 2;
  FakeLeg& muted = world_.AddLeg("c1", "muted", "agent", Now());
  muted.audio_muted = true;
  muted.segment_start = Now() - minutes(10);
  world_.AddLeg("c1", "peer", "customer", Now());
  FakeLeg& held = world_.AddLeg("c2", "held", "agent", Now());
  held.segment_type = "hold";
  held.segment_start = Now() - minutes(10);
  world_.AddLeg("c2", "peer", "customer", Now());
  const TimePoint t0 = Now();
  clock_.Schedule(t0 + seconds(5), [this] { world_.Hear("c1", "muted"); });
  SignalsActivitySource signals(client_);
  Reaper& reaper = MakeReaper({}, &signals);
  std::vector<DroppedLeg> drops;
  for (TimePoint next = t0; Now() < t0 + minutes(5);) {
    clock_.AdvanceTo(next);
    const StepReport report = reaper.Step(Now());
    drops.insert(drops.end(), report.dropped.begin(), report.dropped.end());
    next = std::max(next + seconds(15), Now());
  }
  ASSERT_EQ(Legs(drops), (std::vector<LegId>{{"c2", "held"}}));
  EXPECT_EQ(world_.Find("c1", "muted")->state, "connected");
  int narrowed = 0;
  for (const SentRequest& s : transport_.sent()) {
    if (s.request.body.find(R"("dimension":"conversationId")") != std::string::npos) ++narrowed;
  }
  EXPECT_GE(narrowed, 2);
}

TEST(ClientReaperDaemonTest, StepsEveryPollIntervalAndStopsPromptly) {
  ManualClock clock;  // advanced by the test; the daemon's waits block until then
  FakeWorld world(clock);
  FakeTransport transport(clock, [&world](const std::string& base, const HttpRequest& request) {
    return world.Handle(base, request);
  });
  std::ostringstream log;
  Logger logger(log, clock);
  ApiClient client({.client_id = "id", .client_secret = "s"}, clock, transport, &logger);
  SimActivitySource source(client);
  Reaper reaper({.poll_interval = seconds(15)}, client, source, clock, logger);

  std::mutex mu;
  std::condition_variable stepped;
  std::vector<TimePoint> steps;
  const auto wait_for_steps = [&](size_t n) {
    std::unique_lock lock(mu);
    // A generous bound so a broken daemon fails the test instead of hanging it.
    return stepped.wait_for(lock, std::chrono::seconds(10), [&] { return steps.size() >= n; });
  };
  {
    ReaperDaemon daemon(reaper, [&](const StepReport& report) {
      std::lock_guard lock(mu);
      steps.push_back(report.at);
      stepped.notify_all();
    });
    ASSERT_TRUE(wait_for_steps(1));
    clock.Advance(seconds(14));
    clock.Advance(seconds(1));
    ASSERT_TRUE(wait_for_steps(2));
    // The destructor stops the daemon mid-wait.
  }
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[1] - steps[0], seconds(15));
}

}  // namespace
}  // namespace gcsim::client
