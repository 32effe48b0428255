// The reaper against the real simulator: every request is answered in-process by gcsim's own
// HTTP layer on the test's ManualClock (sim_world.h), so drops land after disconnectLatency, a
// conversation ends when fewer than two people are left, and budgets are charged as gcsim
// charges them. Faults gcsim cannot produce yet are scripted in SimWorld::fault/after; each such
// test says which.
#include "gcsim/client/reaper.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fake_transport.h"
#include "gcsim/common/routes.h"
#include "gcsim/core/faults.h"
#include "sim_world.h"

namespace gcsim::client {
namespace {

using core::LegState;
using core::Purpose;
using core::SpeechScript;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::ErrorResponse;
using testing::FakeTransport;
using testing::SentRequest;
using testing::SimWorld;

const SpeechScript kAlways = SpeechScript::Always();

// Talks from joining for `d`, then never again.
SpeechScript TalksFor(Duration d) {
  return {.kind = SpeechScript::Kind::kIntervals, .intervals = {{Duration(0), d}}};
}

std::vector<LegId> Legs(const std::vector<DroppedLeg>& dropped) {
  std::vector<LegId> out;
  for (const DroppedLeg& d : dropped) out.push_back(d.leg);
  return out;
}

bool IsDrop(const HttpRequest& request) { return request.method == "PATCH"; }

class ClientReaperTest : public ::testing::Test {
 protected:
  ClientReaperTest()
      : clock_({.advance_on_wait = true}),
        world_(std::make_unique<SimWorld>(clock_)),
        transport_(clock_,
                   [this](const std::string& base, const HttpRequest& request) {
                     return world_->Handle(base, request);
                   }),
        logger_(log_, clock_, {.format = LogFormat::kText, .min_level = LogLevel::kDebug}),
        client_(ApiClientOptions{.api_url = "http://127.0.0.1:1",
                                 .client_id = testing::kClientId,
                                 .client_secret = testing::kClientSecret},
                clock_, transport_, &logger_),
        sim_(client_) {}

  // A world whose OAuth client has a budget; call before anything joins.
  void UseRateLimit(int requests_per_minute) {
    world_ = std::make_unique<SimWorld>(clock_, requests_per_minute);
  }
  Reaper& MakeReaper(ReaperOptions options = {}, ActivitySource* source = nullptr) {
    reaper_ = std::make_unique<Reaper>(options, client_, source ? *source : sim_, clock_, logger_);
    return *reaper_;
  }
  TimePoint Now() const { return clock_.Now(); }

  std::string Join(const std::string& conversation, const std::string& name, Purpose purpose,
                   SpeechScript speech = SpeechScript::Never(), core::LegSpec spec = {}) {
    return world_->Join(conversation, name, purpose, std::move(speech), std::move(spec));
  }
  LegId L(const std::string& conversation, const std::string& name) {
    return world_->Leg(conversation, name);
  }
  LegState State(const std::string& conversation, const std::string& name) {
    return world_->State(conversation, name);
  }
  // "name:reason;" for every skipped leg, names instead of ids.
  std::string Reasons(const StepReport& report) {
    std::string out;
    for (const SkippedLeg& s : report.skipped) {
      out += world_->Name(s.leg.participant_id) + ":" + s.reason + ";";
    }
    return out;
  }
  // Requests whose "METHOD target" starts with `prefix`.
  int Count(const std::string& prefix) const {
    const auto& sent = transport_.sent();
    return static_cast<int>(std::count_if(sent.begin(), sent.end(), [&](const SentRequest& s) {
      return (s.request.method + " " + s.request.target).rfind(prefix, 0) == 0;
    }));
  }
  std::string ParticipantPath(const std::string& conversation, const std::string& name) {
    const LegId leg = L(conversation, name);
    return routes::FillPath(routes::kConversationParticipant,
                            {leg.conversation_id, leg.participant_id});
  }
  std::string LegMediaPath(const std::string& conversation, const std::string& name) {
    const LegId leg = L(conversation, name);
    return routes::FillPath(routes::kSimLegMedia, {leg.conversation_id, leg.participant_id});
  }

  // A fault episode of the simulator's own on every PATCH (the reaper's only PATCHes are drops).
  void FaultDrops(nlohmann::json episode) {
    episode["method"] = "PATCH";
    auto parsed = core::ParseFault(episode, Now());
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    world_->sim().faults().Add(*parsed);
  }
  // gcsim's lostDrop fault: a drop is answered 202 and never lands.
  void LoseDrops() { FaultDrops({{"kind", "lostDrop"}}); }
  // An API refusal of every drop that gcsim's world cannot be made to give: scripted.
  void AnswerDropsWith(HttpResponse response) {
    world_->fault = [response](const HttpRequest& request) -> std::optional<HttpResponse> {
      if (IsDrop(request)) return response;
      return std::nullopt;
    };
  }

  ManualClock clock_;
  std::unique_ptr<SimWorld> world_;
  FakeTransport transport_;
  std::ostringstream log_;
  Logger logger_;
  ApiClient client_;
  SimActivitySource sim_;
  std::unique_ptr<Reaper> reaper_;
};

TEST_F(ClientReaperTest, DropsTheIdleLegAndLeavesTheHeardOnes) {
  Join("c1", "idle", Purpose::kCustomer);
  Join("c1", "talking", Purpose::kAgent, TalksFor(minutes(9)));
  Join("c1", "other", Purpose::kExternal, TalksFor(minutes(11) - seconds(5)));
  clock_.Advance(minutes(11));
  Reaper& reaper = MakeReaper();

  const StepReport report = reaper.Step(Now());
  ASSERT_EQ(report.candidates.size(), 1u);
  EXPECT_EQ(report.confirmed, (std::vector<LegId>{L("c1", "idle")}));
  EXPECT_EQ(Legs(report.dropped), (std::vector<LegId>{L("c1", "idle")}));
  EXPECT_EQ(report.dropped[0].at, Now());
  EXPECT_EQ(report.dropped[0].http_status, 202);
  EXPECT_TRUE(report.errors.empty());
  clock_.Advance(seconds(1));  // the drop lands after disconnectLatency
  EXPECT_EQ(State("c1", "idle"), LegState::kDisconnected);
  EXPECT_EQ(State("c1", "talking"), LegState::kConnected);
  // The drop used the generic endpoint with the one body that works.
  const HttpRequest& patch = transport_.sent().back().request;
  EXPECT_EQ(patch.target, ParticipantPath("c1", "idle"));
  EXPECT_EQ(patch.body, R"({"state":"disconnected"})");
  EXPECT_NE(log_.str().find("dropped conversation=" + L("c1", "idle").conversation_id +
                            " participant=" + L("c1", "idle").participant_id),
            std::string::npos);
}

TEST_F(ClientReaperTest, ExactlyTheTimeoutCountsAsIdle) {
  Join("c1", "exact", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(milliseconds(1));
  Join("c2", "almost", Purpose::kCustomer);
  Join("c2", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(10) - milliseconds(1));
  Reaper& reaper = MakeReaper();
  const StepReport report = reaper.Step(Now());
  EXPECT_EQ(Legs(report.dropped), (std::vector<LegId>{L("c1", "exact")}));
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
  Join("c1", "heard", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(9));
  ScriptedSource source;
  const LegId heard = L("c1", "heard");
  source.candidates = {{heard.conversation_id, heard.participant_id, "customer", Now() - minutes(9)}};
  Reaper& reaper = MakeReaper({}, &source);
  const StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Reasons(report), "heard:heard within the idle timeout;");
  EXPECT_EQ(Count("PATCH"), 0);
  EXPECT_EQ(Count("GET /api/v2/conversations"), 0);
}

TEST_F(ClientReaperTest, DropsOnlyAllowedPurposes) {
  Join("c1", "ivr", Purpose::kIvr);
  Join("c1", "acd", Purpose::kAcd);
  Join("c1", "agent", Purpose::kAgent);
  Join("c1", "customer", Purpose::kCustomer, kAlways);
  clock_.Advance(minutes(30));
  Reaper& reaper = MakeReaper({.purposes = {"agent", "acd"}});
  StepReport report = reaper.Step(Now());
  EXPECT_EQ(Legs(report.dropped), (std::vector<LegId>{L("c1", "acd"), L("c1", "agent")}));
  EXPECT_EQ(Reasons(report), "ivr:purpose ivr not allowed;");

  // The purpose the API reports wins over the source's.
  ScriptedSource source;
  Join("c2", "sneaky", Purpose::kIvr);
  Join("c2", "peer", Purpose::kCustomer, kAlways);
  const LegId sneaky = L("c2", "sneaky");
  source.candidates = {{sneaky.conversation_id, sneaky.participant_id, "agent", Now() - minutes(30)}};
  Reaper& second = MakeReaper({}, &source);
  report = second.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Reasons(report), "sneaky:purpose ivr not allowed;");
}

TEST_F(ClientReaperTest, DryRunDropsNothing) {
  Join("c1", "idle", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  Reaper& reaper = MakeReaper({.dry_run = true});
  const StepReport report = reaper.Step(Now());
  EXPECT_EQ(report.confirmed, (std::vector<LegId>{L("c1", "idle")}));
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 0);
  clock_.Advance(seconds(1));
  EXPECT_EQ(State("c1", "idle"), LegState::kConnected);
  EXPECT_NE(log_.str().find("would_drop conversation=" + L("c1", "idle").conversation_id),
            std::string::npos);
  EXPECT_EQ(reaper.totals().dropped, 0u);
}

TEST_F(ClientReaperTest, SkipsLegsThatAreNotLiveAndConnected) {
  Join("c1", "alerting", Purpose::kAgent, SpeechScript::Never(), {.state = LegState::kAlerting});
  Join("c1", "peer", Purpose::kCustomer, kAlways);
  clock_.Advance(minutes(11));
  ScriptedSource source;
  const TimePoint since = Now() - minutes(11);
  // A leg that never joined c1, and a conversation that never existed.
  source.candidates = {{L("c1", "alerting").conversation_id, L("c1", "alerting").participant_id,
                        "agent", since},
                       {L("c1", "ghost").conversation_id, L("c1", "ghost").participant_id,
                        "agent", since},
                       {L("gone", "x").conversation_id, L("gone", "x").participant_id, "agent",
                        since}};
  Reaper& reaper = MakeReaper({}, &source);
  const StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(Reasons(report),
            "alerting:state alerting;ghost:not a participant of the conversation;"
            "x:conversation gone;");
}

TEST_F(ClientReaperTest, LegsAlreadyGoneAreNotErrors) {
  Join("c1", "idle", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  Reaper& reaper = MakeReaper();

  // Status faults on the PATCH, not modelled by gcsim yet: a participant that vanished...
  AnswerDropsWith(ErrorResponse(404, "conversation.error.not.conversation.participant"));
  StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.errors.empty());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Reasons(report), "idle:already gone;");

  // ... and any other refusal, which is an error: the leg is tried again next tick.
  AnswerDropsWith(ErrorResponse(400, "conversation.error.cannot.disconnect.call"));
  report = reaper.Step(Now());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].status.reason(), "conversation.error.cannot.disconnect.call");
  EXPECT_EQ(reaper.pending(), 0u);

  // The race gcsim does produce: the far end hangs up between the reaper's read and its
  // PATCH, and gcsim answers 400 conversation.error.call.disconnected.
  world_->fault = [this](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (IsDrop(request)) {
      EXPECT_TRUE(world_->sim().HangUp(L("c1", "idle").participant_id).ok());
    }
    return std::nullopt;
  };
  report = reaper.Step(Now());
  EXPECT_TRUE(report.errors.empty());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Reasons(report), "idle:already gone;");
  EXPECT_EQ(State("c1", "idle"), LegState::kTerminated);  // and with it the conversation
}

TEST_F(ClientReaperTest, VerifiesADropOnALaterTick) {
  Join("c1", "idle", Purpose::kCustomer);
  Join("c1", "a", Purpose::kAgent, kAlways);
  Join("c1", "b", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  Reaper& reaper = MakeReaper();
  StepReport report = reaper.Step(Now());
  ASSERT_EQ(report.dropped.size(), 1u);
  EXPECT_EQ(reaper.pending(), 1u);

  clock_.Advance(seconds(15));
  report = reaper.Step(Now());
  EXPECT_EQ(report.verified, (std::vector<LegId>{L("c1", "idle")}));
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

// lostDrop (not modelled by gcsim yet) from here on where a leg must stay up after its drop.
TEST_F(ClientReaperTest, SkipsLegsAlreadyBeingHandled) {
  Join("c1", "idle", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  LoseDrops();
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
  Join("c1", "zombie", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  LoseDrops();
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
  EXPECT_EQ(stuck, (std::vector<LegId>{L("c1", "zombie")}));
  EXPECT_EQ(Count("PATCH"), 3);
  EXPECT_EQ(reaper.totals().stuck, 1u);
  EXPECT_EQ(reaper.totals().dropped, 1u);
  EXPECT_EQ(reaper.pending(), 0u);
  EXPECT_EQ(reaper.totals().legs_seen, 1u);  // a candidate every tick, one leg
  EXPECT_NE(log_.str().find("ERROR stuck conversation=" + L("c1", "zombie").conversation_id),
            std::string::npos);
}

TEST_F(ClientReaperTest, AStuckLegHeardAgainGetsAFreshStart) {
  Join("c1", "zombie", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  LoseDrops();
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30), .max_attempts = 1});
  reaper.Step(Now());
  clock_.Advance(seconds(30));
  ASSERT_EQ(reaper.Step(Now()).stuck.size(), 1u);

  world_->Hear("c1", "zombie");  // heard: no longer a candidate
  clock_.Advance(seconds(1));
  world_->Silence("c1", "zombie");
  clock_.Advance(seconds(14));
  EXPECT_TRUE(reaper.Step(Now()).candidates.empty());
  clock_.Advance(minutes(10));
  const StepReport report = reaper.Step(Now());
  ASSERT_EQ(Legs(report.dropped), (std::vector<LegId>{L("c1", "zombie")}));
  EXPECT_EQ(report.dropped[0].attempt, 1);
  EXPECT_EQ(reaper.totals().legs_seen, 2u);  // two stretches of silence
}

// stuckMedia, not modelled by gcsim yet: once dropped, the leg still shows media flowing in
// the media view.
TEST_F(ClientReaperTest, MediaStillFlowingIsNotVerified) {
  Join("c1", "leaky", Purpose::kCustomer);
  Join("c1", "a", Purpose::kAgent, kAlways);
  Join("c1", "b", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  world_->after = [this](const HttpRequest& request, HttpResponse& response) {
    if (request.target.rfind(std::string(routes::kSimMedia) + "?", 0) != 0) return;
    if (State("c1", "leaky") == LegState::kConnected) return;
    nlohmann::json page = nlohmann::json::parse(response.body);
    HttpRequest get;
    get.target = LegMediaPath("c1", "leaky");
    nlohmann::json leg = nlohmann::json::parse(world_->Handle("", get)->body);
    leg["flowing"] = true;
    page["entities"].push_back(leg);
    page["total"] = page["total"].get<int>() + 1;
    response.body = page.dump();
  };
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
  EXPECT_EQ(State("c1", "leaky"), LegState::kDisconnected);
  EXPECT_EQ(verified, 0);
  EXPECT_EQ(stuck, 1);
}

TEST_F(ClientReaperTest, RequestsGrowWithCandidatesNotWithTheOrg) {
  // 200 conversations of three talking legs; three idle legs in two of them.
  Join("c1001", "idle3", Purpose::kCustomer);
  clock_.Advance(minutes(8));
  Join("c1000", "idle1", Purpose::kCustomer);
  clock_.Advance(minutes(1));
  Join("c1000", "idle2", Purpose::kCustomer);
  for (int i = 0; i < 200; ++i) {
    const std::string cid = "c" + std::to_string(1000 + i);
    for (int j = 0; j < 3; ++j) Join(cid, "p" + std::to_string(j), Purpose::kAgent, kAlways);
  }
  clock_.Advance(minutes(11));
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
  Join("c1", "idle", Purpose::kCustomer);
  clock_.Advance(minutes(11));
  Reaper& reaper = MakeReaper();
  // No answer at all (a transport fault): the first try and the client's four retries fail.
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
  Join("c1", "zombie", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  LoseDrops();
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  reaper.Step(Now());
  Join("c2", "new", Purpose::kCustomer);
  Join("c2", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));  // c2's new leg is idle too by now
  const StepReport report = reaper.VerifyPending(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_TRUE(report.stuck.empty());
  EXPECT_TRUE(report.candidates.empty());
  EXPECT_EQ(Count("PATCH"), 1);
  EXPECT_EQ(reaper.pending(), 1u);
}

TEST_F(ClientReaperTest, SignalsSourceFindsLegsMutedOrHeldForTheWholeTimeout) {
  const TimePoint start = Now();
  Join("c1", "held", Purpose::kCustomer, SpeechScript::Never(), {.held = true});
  Join("c1", "muted", Purpose::kAgent, kAlways);
  Join("c1", "recent", Purpose::kAgent, kAlways);
  Join("c1", "silent_but_open", Purpose::kExternal);  // interact, unmuted
  Join("c2", "ended", Purpose::kAgent, SpeechScript::Never(), {.held = true});
  Join("c2", "peer", Purpose::kCustomer, kAlways);
  ASSERT_TRUE(world_->sim().HangUp(L("c2", "peer").participant_id).ok());  // c2 ends
  clock_.Advance(minutes(1));
  ASSERT_TRUE(world_->sim().SetMuted(L("c1", "muted").participant_id, true).ok());
  clock_.Advance(minutes(1));
  ASSERT_TRUE(world_->sim().SetMuted(L("c1", "recent").participant_id, true).ok());
  clock_.AdvanceTo(start + minutes(11));

  SignalsActivitySource signals(client_);
  auto candidates = signals.Candidates(Now(), minutes(10));
  ASSERT_TRUE(candidates.ok()) << candidates.status().ToString();
  std::vector<std::string> names;
  for (const Candidate& c : *candidates) names.push_back(world_->Name(c.participant_id));
  EXPECT_EQ(names, (std::vector<std::string>{"held", "muted"}));
  ASSERT_EQ(candidates->size(), 2u);
  EXPECT_EQ((*candidates)[1].silent_since, Now() - minutes(10));
  EXPECT_FALSE(
      signals.StillFlowing(L("c1", "held").conversation_id, L("c1", "held").participant_id)
          .has_value());

  Reaper& reaper = MakeReaper({}, &signals);
  const StepReport report = reaper.Step(Now());
  EXPECT_EQ(Legs(report.dropped), (std::vector<LegId>{L("c1", "held"), L("c1", "muted")}));
  clock_.Advance(seconds(15));
  EXPECT_EQ(reaper.Step(Now()).verified.size(), 2u);
}

// Two voice sessions of one participant are something gcsim does not model: scripted.
TEST_F(ClientReaperTest, SignalsNeedEveryOpenSegmentSilent) {
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
  UseRateLimit(1);
  Join("c1", "sup", Purpose::kUser);
  Join("c1", "peer", Purpose::kCustomer, kAlways);
  clock_.Advance(minutes(10));
  const TimePoint t0 = Now();
  clock_.Schedule(t0 + seconds(5), [this] { world_->Hear("c1", "sup"); });
  Reaper& reaper = MakeReaper();

  const StepReport report = reaper.Step(t0);
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 0);
  EXPECT_EQ(State("c1", "sup"), LegState::kConnected);
  EXPECT_NE(Reasons(report).find("sup:heard at " + FormatIso8601(t0 + seconds(60)) +
                                 ", after its silence was read at " + FormatIso8601(t0)),
            std::string::npos)
      << Reasons(report);
  EXPECT_EQ(Count("GET " + LegMediaPath("c1", "sup")), 1);
  EXPECT_EQ(Now() - t0, seconds(60));  // the one wait, before the re-check
}

// The same budget, a leg that stays silent: dropped once the budget allows, on evidence read
// after the wait, with the PATCH right behind it.
TEST_F(ClientReaperTest, ALegStillSilentAfterTheWaitIsDroppedOnTheFreshRead) {
  UseRateLimit(1);
  Join("c1", "sup", Purpose::kUser);
  Join("c1", "peer", Purpose::kCustomer, kAlways);
  clock_.Advance(minutes(10));
  const TimePoint t0 = Now();
  Reaper& reaper = MakeReaper();
  const StepReport report = reaper.Step(t0);
  ASSERT_EQ(Legs(report.dropped), (std::vector<LegId>{L("c1", "sup")}));
  EXPECT_EQ(report.dropped[0].at, t0 + seconds(60));
  EXPECT_EQ(report.dropped[0].silent_since, t0 - minutes(10));
  const std::vector<SentRequest>& sent = transport_.sent();
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(sent[sent.size() - 2].request.target, LegMediaPath("c1", "sup"));
  EXPECT_EQ(sent.back().request.method, "PATCH");
  EXPECT_EQ(sent.back().at, sent[sent.size() - 2].at);
  EXPECT_EQ(reaper.totals().max_lateness, seconds(60));
}

// Another script on the same OAuth client spent the budget: the reaper's GET gets a 429 and
// waits out Retry-After. What was read before that wait is read again.
TEST_F(ClientReaperTest, ALegHeardWhileTheTickWaitedOutA429IsNotDropped) {
  UseRateLimit(2);
  Join("c1", "sup", Purpose::kUser);
  Join("c1", "peer", Purpose::kCustomer, kAlways);
  clock_.Advance(minutes(10));
  const TimePoint t0 = Now();
  world_->SpendBudget(2);
  clock_.Schedule(t0 + seconds(5), [this] { world_->Hear("c1", "sup"); });
  Reaper& reaper = MakeReaper();
  const StepReport report = reaper.Step(t0);
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 0);
  EXPECT_EQ(reaper.totals().rate_limited, 1u);
  EXPECT_EQ(State("c1", "sup"), LegState::kConnected);
}

// The PATCH itself never waits: a 429 on it is a failed attempt, and the next tick decides
// again on fresh evidence (here: still silent, dropped). A 429 on the PATCH alone, after an
// allowed GET: gcsim's throttle fault.
TEST_F(ClientReaperTest, ADropThatWouldWaitIsAFailedAttemptDecidedAgainLater) {
  Join("c1", "idle", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  FaultDrops({{"kind", "throttle"}, {"retryAfter", "20s"}});
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

  world_->sim().faults().Clear();
  clock_.Advance(seconds(15));
  report = reaper.Step(Now());
  ASSERT_EQ(Legs(report.dropped), (std::vector<LegId>{L("c1", "idle")}));
  EXPECT_EQ(report.dropped[0].attempt, 1);
  EXPECT_EQ(report.dropped[0].at, t0 + seconds(20));  // the 429's budget waited out, then read
  EXPECT_EQ(Count("GET " + LegMediaPath("c1", "idle")), 1);
  EXPECT_EQ(reaper.totals().dropped, 1u);
}

// ---- Issue 9, item 2: a retry is a new decision ---------------------------------------------

TEST_F(ClientReaperTest, ARetryOfALegHeardSinceTheDropIsNotSent) {
  Join("c1", "zombie", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  LoseDrops();
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  const TimePoint t0 = Now();
  ASSERT_EQ(reaper.Step(t0).dropped.size(), 1u);
  clock_.AdvanceTo(t0 + seconds(20));
  world_->Hear("c1", "zombie");
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
  Join("c1", "sup", Purpose::kUser);
  Join("c1", "a", Purpose::kAgent, kAlways);
  Join("c1", "b", Purpose::kCustomer, kAlways);
  clock_.Advance(minutes(10));
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  const TimePoint t0 = Now();
  ASSERT_EQ(reaper.Step(t0).dropped.size(), 1u);
  clock_.AdvanceTo(t0 + seconds(10));
  // The reset: the same bridge again, every leg new, `sup` silent since now.
  core::WorldSpec again;
  again.oauth_clients = {{.id = testing::kClientId, .secret = testing::kClientSecret}};
  again.conversations.push_back(
      {.id = L("c1", "sup").conversation_id,
       .legs = {{.id = L("c1", "sup").participant_id, .purpose = Purpose::kUser},
                {.id = L("c1", "a").participant_id, .purpose = Purpose::kAgent, .speech = kAlways},
                {.id = L("c1", "b").participant_id, .purpose = Purpose::kCustomer,
                 .speech = kAlways}}});
  ASSERT_TRUE(world_->sim().Reset(again).ok());

  std::vector<DroppedLeg> drops;
  for (TimePoint t = t0 + seconds(15); t <= t0 + minutes(11); t += seconds(15)) {
    clock_.AdvanceTo(t);
    const StepReport report = reaper.Step(t);
    for (const DroppedLeg& d : report.dropped) {
      if (d.leg == L("c1", "sup")) drops.push_back(d);
    }
  }
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].at, t0 + minutes(10) + seconds(15));  // its own ten minutes, next tick
  EXPECT_EQ(drops[0].attempt, 1);
  EXPECT_EQ(drops[0].silent_since, t0 + seconds(10));
}

// The id may even come back looking just as silent (a source that cannot tell): a different
// connectedTime still says it is not the leg that was dropped. gcsim cannot put a new leg under
// an old id with the old silence: the GET's connectedTime is rewritten.
TEST_F(ClientReaperTest, ARetryChecksTheLegIsTheOneDropped) {
  Join("c1", "zombie", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  LoseDrops();
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  const TimePoint t0 = Now();
  ASSERT_EQ(reaper.Step(t0).dropped.size(), 1u);
  world_->after = [this, t0](const HttpRequest& request, HttpResponse& response) {
    if (request.method != "GET" || request.target.rfind("/api/v2/conversations/calls/", 0) != 0) {
      return;
    }
    nlohmann::json call = nlohmann::json::parse(response.body);
    for (nlohmann::json& participant : call["participants"]) {
      if (participant["id"] == L("c1", "zombie").participant_id) {
        participant["connectedTime"] = FormatIso8601(t0 + seconds(10));
      }
    }
    response.body = call.dump();
  };
  clock_.AdvanceTo(t0 + seconds(30));
  const StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Reasons(report),
            "zombie:already being handled;zombie:a new leg under the same id; not dropped again;");
}

// A retry after a wait reads the leg again, like a first drop.
TEST_F(ClientReaperTest, ARetryAfterAWaitReadsTheLegAgain) {
  UseRateLimit(2);
  Join("c1", "zombie", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  LoseDrops();
  Reaper& reaper = MakeReaper({.verify_timeout = seconds(30)});
  const TimePoint t0 = Now();
  ASSERT_EQ(reaper.Step(t0).dropped.size(), 1u);
  // At the retry, the conversation GET meets a spent budget and waits; the leg talks meanwhile.
  clock_.AdvanceTo(t0 + seconds(30));
  world_->SpendBudget(2);
  clock_.Schedule(Now() + seconds(5), [this] { world_->Hear("c1", "zombie"); });
  const StepReport report = reaper.Step(Now());
  EXPECT_TRUE(report.dropped.empty());
  EXPECT_EQ(Count("PATCH"), 1);
  EXPECT_EQ(Count("GET " + LegMediaPath("c1", "zombie")), 1);
}

// ---- Issue 9, item 3: legs that cannot be reached are reported -------------------------------

// The field report: another client on the same OAuth client used the whole budget for fifteen
// minutes. The leg's failed attempts count; it is reported stuck, with why, once; and it is
// dropped when the budget comes back, with the lateness in the totals.
TEST_F(ClientReaperTest, ALegUnreachableForFifteenMinutesIsReportedStuckThenDropped) {
  UseRateLimit(1);
  Join("c1", "idle", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(10));
  const TimePoint t0 = Now();
  for (int minute = 0; minute <= 15; ++minute) {
    clock_.Schedule(t0 + minutes(minute), [this] { world_->SpendBudget(1); });
  }
  clock_.AdvanceTo(t0);  // the other client goes first at 10m
  Reaper& reaper = MakeReaper({.max_attempts = 3});
  std::vector<StuckLeg> stuck;
  std::vector<DroppedLeg> drops;
  for (TimePoint next = t0; Now() < t0 + minutes(30);) {
    clock_.AdvanceTo(next);
    const TimePoint tick = Now();
    const StepReport report = reaper.Step(tick);
    stuck.insert(stuck.end(), report.stuck.begin(), report.stuck.end());
    drops.insert(drops.end(), report.dropped.begin(), report.dropped.end());
    next = std::max(tick + seconds(15), Now());
  }
  ASSERT_EQ(stuck.size(), 1u);
  EXPECT_EQ(stuck[0].leg, L("c1", "idle"));
  const std::string get_call =
      "GET " + routes::FillPath(routes::kCall, {L("c1", "idle").conversation_id});
  EXPECT_EQ(stuck[0].why.rfind("unreachable: 3 failed attempts, last: " + get_call + ": HTTP 429",
                               0),
            0u)
      << stuck[0].why;
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_GT(drops[0].at, t0 + minutes(15));
  const ReaperTotals totals = reaper.totals();
  EXPECT_EQ(totals.stuck, 1u);
  EXPECT_GE(totals.failed_attempts, 3u);
  EXPECT_GE(totals.failed_requests, 3u);
  EXPECT_EQ(totals.max_lateness, drops[0].at - t0);
  EXPECT_NE(log_.str().find("ERROR stuck conversation=" + L("c1", "idle").conversation_id +
                            " participant=" + L("c1", "idle").participant_id +
                            " why=\"unreachable: 3"),
            std::string::npos);
}

// Failed PATCHes count too, and are not retried inside the tick (gcsim's status fault: 503).
TEST_F(ClientReaperTest, FailedDropsCountTowardMaxAttempts) {
  Join("c1", "idle", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  FaultDrops({{"kind", "status"}, {"status", 503}});
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
  EXPECT_EQ(stuck[0].why.rfind("unreachable: 3 failed attempts, last: PATCH " +
                                   ParticipantPath("c1", "idle") + ": HTTP 503",
                               0),
            0u)
      << stuck[0].why;
  EXPECT_EQ(Count("PATCH"), 9);  // one a tick: still tried, as the trouble may pass
  EXPECT_EQ(reaper.totals().stuck, 1u);
  EXPECT_EQ(reaper.totals().retries, 0u);
}

// A leg that was heard between failed attempts starts its next stretch with fresh attempts.
TEST_F(ClientReaperTest, FailedAttemptsAreForgottenOnceTheLegIsHeard) {
  Join("c1", "idle", Purpose::kCustomer);
  Join("c1", "peer", Purpose::kAgent, kAlways);
  clock_.Advance(minutes(11));
  FaultDrops({{"kind", "status"}, {"status", 503}});
  Reaper& reaper = MakeReaper({.max_attempts = 2});
  reaper.Step(Now());
  world_->Hear("c1", "idle");
  clock_.Advance(seconds(15));
  reaper.Step(Now());
  world_->Silence("c1", "idle");
  clock_.Advance(minutes(10));
  EXPECT_TRUE(reaper.Step(Now()).stuck.empty()) << "one failed attempt in this stretch";
}

// ---- Signals: the re-check is the analytics query narrowed to the conversation ---------------

TEST_F(ClientReaperTest, SignalsReadsTheConversationAgainAfterAWait) {
  UseRateLimit(2);
  Join("c1", "muted", Purpose::kAgent, SpeechScript::Never(), {.muted = true});
  Join("c1", "peer", Purpose::kCustomer, kAlways);
  Join("c2", "held", Purpose::kAgent, SpeechScript::Never(), {.held = true});
  Join("c2", "peer", Purpose::kCustomer, kAlways);
  clock_.Advance(minutes(10));
  const TimePoint t0 = Now();
  clock_.Schedule(t0 + seconds(5), [this] {
    EXPECT_TRUE(world_->sim().SetMuted(L("c1", "muted").participant_id, false).ok());
    world_->Hear("c1", "muted");
  });
  SignalsActivitySource signals(client_);
  Reaper& reaper = MakeReaper({}, &signals);
  std::vector<DroppedLeg> drops;
  for (TimePoint next = t0; Now() < t0 + minutes(5);) {
    clock_.AdvanceTo(next);
    const StepReport report = reaper.Step(Now());
    drops.insert(drops.end(), report.dropped.begin(), report.dropped.end());
    next = std::max(next + seconds(15), Now());
  }
  ASSERT_EQ(Legs(drops), (std::vector<LegId>{L("c2", "held")}));
  EXPECT_EQ(State("c1", "muted"), LegState::kConnected);
  int narrowed = 0;
  for (const SentRequest& s : transport_.sent()) {
    if (s.request.body.find(R"("dimension":"conversationId")") != std::string::npos) ++narrowed;
  }
  EXPECT_GE(narrowed, 2);
}

TEST(ClientReaperDaemonTest, StepsEveryPollIntervalAndStopsPromptly) {
  ManualClock clock;  // advanced by the test; the daemon's waits block until then
  SimWorld world(clock);
  FakeTransport transport(clock, [&world](const std::string& base, const HttpRequest& request) {
    return world.Handle(base, request);
  });
  std::ostringstream log;
  Logger logger(log, clock);
  ApiClient client({.client_id = testing::kClientId, .client_secret = testing::kClientSecret},
                   clock, transport, &logger);
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
