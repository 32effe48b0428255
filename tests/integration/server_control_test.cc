// The /sim/v1 control plane: health, reset, clock, state, media views and the journal.
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

class ControlTest : public ServerFixture {
 protected:
  std::string MediaPath(const std::string& pid, const std::string& cid = kConversationId) {
    return "/sim/v1/conversations/" + cid + "/participants/" + pid + "/media";
  }
};

TEST_F(ControlTest, HealthNeedsNoTokenAndIsNotJournaled) {
  const Response health = Get("/sim/v1/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.Json(), json({{"status", "ok"}}));
  EXPECT_TRUE(IsUuid(health.Header("ININ-Correlation-Id")));
  EXPECT_EQ(Journal(), json::array());
  EXPECT_EQ(Journal(), json::array()) << "reading the journal is not journaled either";
}

// Every answer carries a Date on the simulator's clock, as real servers date theirs: how a
// client tells how far its own clock is from gcsim's.
TEST_F(ControlTest, EveryAnswerIsDatedOnTheSimulatorsClock) {
  EXPECT_EQ(Get("/sim/v1/health").Header("Date"), "Thu, 01 Jan 2026 09:00:00 GMT");
  Advance("90m1500ms");
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId).Header("Date"),
            "Thu, 01 Jan 2026 10:30:01 GMT")
      << "an error answer (401 here) is dated too";
}

TEST_F(ControlTest, CorrelationIdsAreSeededAndDistinct) {
  const std::string first = Get("/sim/v1/health").Header("ININ-Correlation-Id");
  const std::string second = Get("/sim/v1/health").Header("ININ-Correlation-Id");
  EXPECT_NE(first, second);
  StartServer(core::DemoWorld());
  EXPECT_EQ(Get("/sim/v1/health").Header("ININ-Correlation-Id"), first) << "same seed, same ids";
}

TEST_F(ControlTest, ResetWithoutBodyRestoresTheInitialWorld) {
  const std::string token = Token();
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", token)
                .status,
            202);
  Advance("1s");
  ASSERT_EQ(Media(kSupervisorId)["flowing"], false);

  const Response reset = Send("POST", "/sim/v1/reset");
  EXPECT_EQ(reset.status, 200);
  EXPECT_EQ(reset.Json(), json({{"status", "reset"}}));
  EXPECT_EQ(Media(kSupervisorId)["flowing"], true);
  EXPECT_EQ(Media(kSupervisorId)["state"], "connected");
  // The journal starts again with the reset itself.
  const json entries = Journal();
  ASSERT_GE(entries.size(), 1u);
  EXPECT_EQ(entries[0]["path"], "/sim/v1/reset");
  EXPECT_EQ(entries[0]["status"], 200);
  // Tokens belong to the old world.
  EXPECT_EQ(Get("/api/v2/conversations/" + kConversationId, token).status, 401);
}

TEST_F(ControlTest, ResetKeepsTheClockOrRewindsIt) {
  Advance("10m");
  ASSERT_EQ(Send("POST", "/sim/v1/reset").status, 200);
  EXPECT_EQ(Get("/sim/v1/clock").Json()["now"], "2026-01-01T09:10:00.000Z")
      << "a reset keeps the clock";
  EXPECT_EQ(Media(kSupervisorId)["silentFor"], "0s") << "the world starts again now";

  // A drop pending on the clock goes with the old world.
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", Token())
                .status,
            202);
  const Response rewound = Send("POST", "/sim/v1/reset?rewind=true");
  ASSERT_EQ(rewound.status, 200) << rewound.body;
  EXPECT_EQ(Get("/sim/v1/clock").Json()["now"], "2026-01-01T09:00:00.000Z");
  EXPECT_EQ(Get("/sim/v1/state").Json()["conversations"][0]["startTime"],
            "2026-01-01T09:00:00.000Z");
  Advance("1s");
  EXPECT_EQ(Media(kSupervisorId)["state"], "connected");
  EXPECT_EQ(Journal()[0]["effect"],
            "world reset to the one the server started with; clock rewound to "
            "2026-01-01T09:00:00.000Z");

  const Response bad = Send("POST", "/sim/v1/reset?rewind=maybe");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.Json()["message"].get<std::string>().find("rewind"), std::string::npos);
}

// A read of the old world excuses no drop in the new one, though the clock came back round to
// the read's instant and the legs kept their ids.
TEST_F(ControlTest, AReadOfTheWorldAResetReplacedExcusesNoDrop) {
  think_time_ = std::chrono::seconds(2);
  StartServer(DemoWorldWithMutedTalker());  // the supervisor, silent until unmuted
  Advance("10m");
  ASSERT_EQ(Get("/api/v2/conversations/calls/" + kConversationId, Token()).status, 200);

  ASSERT_EQ(Send("POST", "/sim/v1/reset?rewind=true").status, 200);
  Advance("10m");
  Advance("200ms");
  // Another client unmutes the supervisor, who talks from then on.
  ASSERT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, kSupervisorId),
                     R"({"muted":false})", AgentToken())
                .status,
            202);
  Advance("300ms");
  // Within the think time of the old read's answer, which found the supervisor silent 10 min.
  ASSERT_EQ(Drop(Token(), kSupervisorId).status, 202);
  const json drop = LastDropEntry();
  EXPECT_FALSE(drop.contains("dropEvidence")) << drop;
  EXPECT_NE(Get("/sim/v1/metrics").body.find("gcsim_early_drops_total{client=\"demo-client\"} 1\n"),
            std::string::npos);
}

TEST_F(ControlTest, RewindingARealClockIsAConflict) {
  StartServer(core::DemoWorld(), {}, /*real_clock=*/true);
  const Response conflict = Send("POST", "/sim/v1/reset?rewind=true");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.Json()["code"], "conflict");
}

TEST_F(ControlTest, ResetWithAWorld) {
  const json world = {
      {"profile", "strict"},
      {"disconnectLatency", "1s"},
      {"queues", {{{"id", "7c1d2e3f-0000-4000-8000-0000000000a9"}, {"name", "Sales"}}}},
      {"conversations",
       {{{"id", "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c99"},
         {"participants",
          {{{"purpose", "customer"}, {"speech", "always"}},
           {{"purpose", "agent"}, {"queueId", "7c1d2e3f-0000-4000-8000-0000000000a9"}}}}}}}};
  const Response reset = SendJson("POST", "/sim/v1/reset", world.dump());
  ASSERT_EQ(reset.status, 200) << reset.body;
  const json state = State();
  EXPECT_EQ(state["profile"], "strict");
  EXPECT_EQ(state["disconnectLatency"], "1s");
  ASSERT_EQ(state["conversations"].size(), 1u);
  EXPECT_EQ(state["conversations"][0]["id"], "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c99");
  EXPECT_EQ(state["queues"][0]["name"], "Sales");

  // An empty body still goes back to the world the server started with.
  ASSERT_EQ(Send("POST", "/sim/v1/reset").status, 200);
  EXPECT_EQ(State()["conversations"][0]["id"], kConversationId);
}

TEST_F(ControlTest, ResetWithABadWorldNamesWhereAndChangesNothing) {
  const json before = State();
  const Response bad = SendJson("POST", "/sim/v1/reset",
                                R"({"conversations":[{"participants":[{"purpose":"robot"}]}]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["code"], "bad.request");
  EXPECT_NE(
      bad.Json()["message"].get<std::string>().find("/conversations/0/participants/0/purpose"),
      std::string::npos)
      << bad.body;
  const Response typo = SendJson("POST", "/sim/v1/reset", R"({"profiel":"strict"})");
  EXPECT_EQ(typo.status, 400);
  EXPECT_NE(typo.Json()["message"].get<std::string>().find("/profiel"), std::string::npos);
  EXPECT_EQ(State(), before);
}

TEST_F(ControlTest, ClockViewAndAdvance) {
  const json clock = Get("/sim/v1/clock").Json();
  EXPECT_EQ(clock["now"], "2026-01-01T09:00:00.000Z");
  EXPECT_EQ(clock["mode"], "manual");
  EXPECT_FALSE(clock.contains("nextWakeup"));

  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", Token())
                .status,
            202);
  EXPECT_EQ(Get("/sim/v1/clock").Json()["nextWakeup"], "2026-01-01T09:00:00.250Z");

  const json advanced = Advance("10m");
  EXPECT_EQ(advanced["now"], "2026-01-01T09:10:00.000Z");
  EXPECT_EQ(advanced["mode"], "manual");
  EXPECT_FALSE(advanced.contains("nextWakeup"));
  EXPECT_EQ(Media(kSupervisorId)["state"], "disconnected") << "due timers fired";

  for (const std::string body :
       {R"({"by":"soon"})", R"({"by":10})", R"({})", R"({"by":"1s","to":"x"})"}) {
    const Response bad = SendJson("POST", "/sim/v1/clock/advance", body);
    EXPECT_EQ(bad.status, 400) << body;
    EXPECT_EQ(bad.Json()["code"], "bad.request");
  }
  EXPECT_EQ(Get("/sim/v1/clock").Json()["now"], "2026-01-01T09:10:00.000Z");
}

TEST_F(ControlTest, AdvanceOnARealClockIsAConflict) {
  StartServer(core::DemoWorld(), {}, /*real_clock=*/true);
  EXPECT_EQ(Get("/sim/v1/clock").Json()["mode"], "real");
  const Response conflict = SendJson("POST", "/sim/v1/clock/advance", R"({"by":"10m"})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.Json()["code"], "conflict");
  EXPECT_EQ(conflict.Json()["contextId"], conflict.Header("ININ-Correlation-Id"));
}

TEST_F(ControlTest, StateShowsTheWholeWorldWithMedia) {
  Advance("1m");
  const json state = State();
  EXPECT_EQ(state["now"], "2026-01-01T09:01:00.000Z");
  EXPECT_EQ(state["profile"], "observed");
  EXPECT_EQ(state["disconnectLatency"], "250ms");
  EXPECT_EQ(state["users"].size(), 2u);
  EXPECT_EQ(state["queues"][0]["id"], kQueueId);
  ASSERT_EQ(state["conversations"].size(), 1u);
  const json& conversation = state["conversations"][0];
  EXPECT_EQ(conversation["id"], kConversationId);
  EXPECT_EQ(conversation["name"], "Support bridge");
  EXPECT_FALSE(conversation.contains("endTime"));
  ASSERT_EQ(conversation["participants"].size(), 3u);
  const json& supervisor = conversation["participants"][2];
  EXPECT_EQ(supervisor["id"], kSupervisorId);
  EXPECT_EQ(supervisor["purpose"], "user");
  EXPECT_EQ(supervisor["state"], "connected");
  EXPECT_EQ(supervisor["userId"], core::kDemoSupervisorUserId);
  EXPECT_EQ(supervisor["connectedTime"], "2026-01-01T09:00:00.000Z");
  EXPECT_FALSE(supervisor.contains("endTime"));
  EXPECT_EQ(supervisor["media"], json({{"speaking", false},
                                       {"flowing", true},
                                       {"lastHeardAt", nullptr},
                                       {"silentSince", "2026-01-01T09:00:00.000Z"},
                                       {"silentFor", "1m"},
                                       {"silentForMs", 60000},
                                       {"speech", "never"}}));
  EXPECT_EQ(conversation["participants"][0]["media"]["speech"],
            json({{"every", "45s"}, {"for", "20s"}}));
}

TEST_F(ControlTest, LegMediaViewAndSpeech) {
  json media = Get(MediaPath(kSupervisorId)).Json();
  EXPECT_EQ(media["conversationId"], kConversationId);
  EXPECT_EQ(media["participantId"], kSupervisorId);
  EXPECT_EQ(media["speaking"], false);
  EXPECT_EQ(media["flowing"], true);
  EXPECT_EQ(media["muted"], false);
  EXPECT_EQ(media["held"], false);
  EXPECT_TRUE(media["lastHeardAt"].is_null());
  EXPECT_EQ(media["speech"], "never");

  Advance("5m");
  media = SendJson("POST", MediaPath(kSupervisorId), R"({"speaking":true})").Json();
  EXPECT_EQ(media["speaking"], true);
  EXPECT_EQ(media["speech"], "always");
  Advance("10s");
  media = Get(MediaPath(kSupervisorId)).Json();
  EXPECT_EQ(media["lastHeardAt"], "2026-01-01T09:05:10.000Z");
  EXPECT_EQ(media["silentForMs"], 0);

  media = SendJson("POST", MediaPath(kSupervisorId), R"({"speaking":false})").Json();
  Advance("30s");
  media = Get(MediaPath(kSupervisorId)).Json();
  EXPECT_EQ(media["speaking"], false);
  EXPECT_EQ(media["silentFor"], "30s");
  EXPECT_EQ(media["silentSince"], "2026-01-01T09:05:10.000Z");

  const Response scripted =
      SendJson("POST", MediaPath(kSupervisorId), R"({"speech":{"every":"30s","for":"10s"}})");
  ASSERT_EQ(scripted.status, 200) << scripted.body;
  EXPECT_EQ(scripted.Json()["speech"], json({{"every", "30s"}, {"for", "10s"}}));

  const json journal = Journal();
  EXPECT_EQ(journal.back()["participantId"], kSupervisorId);
  EXPECT_NE(journal.back()["effect"].get<std::string>().find("speech set"), std::string::npos);
}

TEST_F(ControlTest, LegMediaErrors) {
  const std::string stranger = "00000000-0000-4000-8000-000000000000";
  EXPECT_EQ(Get(MediaPath(stranger)).status, 404);
  EXPECT_EQ(Get(MediaPath(kSupervisorId, stranger)).status, 404)
      << "the leg is in another conversation";
  EXPECT_EQ(SendJson("POST", MediaPath(kSupervisorId, stranger), R"({"speaking":true})").status,
            404);
  EXPECT_EQ(Get(MediaPath(kSupervisorId)).Json()["speech"], "never") << "unchanged";
  for (const std::string body : {R"({})", R"({"speaking":true,"speech":"always"})",
                                 R"({"speech":"sometimes"})", R"({"volume":11})"}) {
    const Response bad = SendJson("POST", MediaPath(kSupervisorId), body);
    EXPECT_EQ(bad.status, 400) << body;
    EXPECT_EQ(bad.Json()["code"], "bad.request");
  }
}

TEST_F(ControlTest, SilentMediaInBulk) {
  Advance("10m");
  const Response response = Get("/sim/v1/media?silentFor=10m");
  ASSERT_EQ(response.status, 200) << response.body;
  const json page = response.Json();
  EXPECT_EQ(page["total"], 1);
  EXPECT_EQ(page["pageSize"], 100);
  EXPECT_EQ(page["pageNumber"], 1);
  EXPECT_EQ(page["pageCount"], 1);
  ASSERT_EQ(page["entities"].size(), 1u);
  EXPECT_EQ(page["entities"][0], json({{"conversationId", kConversationId},
                                       {"participantId", kSupervisorId},
                                       {"purpose", "user"},
                                       {"state", "connected"},
                                       {"speaking", false},
                                       {"flowing", true},
                                       {"muted", false},
                                       {"held", false},
                                       {"lastHeardAt", nullptr},
                                       {"silentSince", "2026-01-01T09:00:00.000Z"},
                                       {"silentForMs", 600000},
                                       {"silentFor", "10m"}}));

  // Every flowing leg by default, oldest silence first, paged.
  const json all = Get("/sim/v1/media").Json();
  EXPECT_EQ(all["total"], 3);
  const json second = Get("/sim/v1/media?pageSize=2&pageNumber=2").Json();
  EXPECT_EQ(second["pageCount"], 2);
  EXPECT_EQ(second["entities"].size(), 1u);
  EXPECT_EQ(Get("/sim/v1/media?pageSize=2&pageNumber=3").Json()["entities"], json::array());

  for (const std::string query : {"silentFor=soon", "silentFor=-1m", "pageSize=0", "pageSize=10001",
                                  "pageSize=x", "pageNumber=0"}) {
    const Response bad = Get("/sim/v1/media?" + query);
    EXPECT_EQ(bad.status, 400) << query;
    EXPECT_EQ(bad.Json()["code"], "bad.request");
  }
  // A page number past the bound says the bound.
  EXPECT_EQ(Get("/sim/v1/media?pageNumber=2000000000").Json()["message"],
            "pageNumber [2000000000] must be a whole number from 1 to 1000000000.");
  EXPECT_EQ(Get("/sim/v1/media?pageSize=10000").status, 200);
}

TEST_F(ControlTest, JournalSince) {
  Get("/sim/v1/clock");
  Get("/sim/v1/state");
  const json entries = Journal();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["kind"], "request");
  EXPECT_EQ(entries[0]["method"], "GET");
  EXPECT_EQ(entries[0]["path"], "/sim/v1/clock");
  EXPECT_EQ(entries[0]["status"], 200);
  EXPECT_EQ(entries[0]["at"], "2026-01-01T09:00:00.000Z");
  const uint64_t first = entries[0]["sequence"];
  const json newer = Get("/sim/v1/journal?since=" + std::to_string(first)).Json();
  ASSERT_EQ(newer["entries"].size(), 1u);
  EXPECT_EQ(newer["entries"][0]["path"], "/sim/v1/state");
  EXPECT_EQ(newer["dropped"], 0);
  EXPECT_EQ(Get("/sim/v1/journal?since=x").status, 400);
}

TEST_F(ControlTest, JournalRecordsDropsAndTheirEffects) {
  const std::string token = Token();
  const Response drop = SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                                 R"({"state":"disconnected"})", token);
  ASSERT_EQ(drop.status, 202);
  Advance("250ms");
  json request, effect;
  for (const json& entry : Journal()) {
    if (entry["kind"] == "request" && entry.value("method", "") == "PATCH") request = entry;
    if (entry["kind"] == "effect") effect = entry;
  }
  EXPECT_EQ(request["status"], 202);
  EXPECT_EQ(request["correlationId"], drop.Header("ININ-Correlation-Id"));
  EXPECT_NE(request["effect"].get<std::string>().find("drop accepted"), std::string::npos);
  EXPECT_FALSE(request.contains("ignoredFields"));
  EXPECT_EQ(effect["participantId"], kSupervisorId);
  EXPECT_EQ(effect["at"], "2026-01-01T09:00:00.250Z");
}

// The Prometheus view a load run is watched with: requests by client, route template and
// status, the seed's no-op PATCHes, drops and their lateness, and the legs live and idle now.
TEST_F(ControlTest, MetricsCountWhatEachClientDidInPrometheusText) {
  Advance("10m");
  const std::string token = Token();
  EXPECT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, kSupervisorId), kSeedBody, token).status, 204);
  EXPECT_EQ(SendJson("PATCH", CallParticipantPath(kConversationId, kSupervisorId), kSeedBody, token).status, 204);
  Response metrics = Get("/sim/v1/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("gcsim_idle_legs 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("gcsim_live_legs 3\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("gcsim_noop_patches_total{client=\"demo-client\",status=\"204\"} 2\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("gcsim_requests_total{client=\"demo-client\",route=\"/api/v2/"
                              "conversations/calls/{conversationId}/participants/{participantId}\","
                              "method=\"PATCH\",status=\"204\"} 2\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("gcsim_requests_total{client=\"demo-client\",route=\"/oauth/token\","
                              "method=\"POST\",status=\"200\"} 1\n"),
            std::string::npos)
      << metrics.body;

  // A drop 30s past the idle timeout lands in the lateness histogram's 30s bucket.
  Advance("30s");
  EXPECT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", token).status, 202);
  Advance("1s");
  metrics = Get("/sim/v1/metrics");
  EXPECT_NE(metrics.body.find("gcsim_drops_total{client=\"demo-client\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("gcsim_early_drops_total{client=\"demo-client\"} 0\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("gcsim_drop_lateness_seconds_bucket{client=\"demo-client\",le=\"15\"} 0\n"),
            std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("gcsim_drop_lateness_seconds_bucket{client=\"demo-client\",le=\"30\"} 1\n"),
            std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("gcsim_drop_lateness_seconds_sum{client=\"demo-client\"} 30\n"),
            std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("gcsim_live_legs 2\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("gcsim_idle_legs 0\n"), std::string::npos) << metrics.body;
  // Scraping is not traffic: the journal does not grow with it.
  for (const json& entry : Journal()) EXPECT_NE(entry.value("path", ""), "/sim/v1/metrics");
}

TEST_F(ControlTest, AnEarlyDropIsCountedAsSuch) {
  Advance("9m");
  const std::string token = Token();
  EXPECT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", token).status, 202);
  const Response metrics = Get("/sim/v1/metrics");
  EXPECT_NE(metrics.body.find("gcsim_early_drops_total{client=\"demo-client\"} 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("gcsim_drop_lateness_seconds_count{client=\"demo-client\"} 0\n"),
            std::string::npos) << metrics.body;
}

}  // namespace
}  // namespace gcsim::http::testing
