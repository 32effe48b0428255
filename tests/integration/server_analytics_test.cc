// The analytics queries: finding live legs (details) and the queue dashboard (observations).
#include <cctype>
#include <string>
#include <vector>

#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

constexpr char kDetailsPath[] = "/api/v2/analytics/conversations/details/query";
constexpr char kObservationsPath[] = "/api/v2/analytics/queues/observations/query";

json Filter(const std::string& type, json predicates) {
  return {{"type", type}, {"predicates", std::move(predicates)}};
}

// What the reaper asks: conversations not ended with a segment not ended.
json LiveLegsQuery(int page_size = 25, int page_number = 1) {
  return {
      {"interval", "2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z"},
      {"order", "asc"},
      {"orderBy", "conversationStart"},
      {"paging", {{"pageSize", page_size}, {"pageNumber", page_number}}},
      {"conversationFilters",
       {Filter("and", {{{"type", "dimension"},
                        {"dimension", "conversationEnd"},
                        {"operator", "notExists"}}})}},
      {"segmentFilters",
       {Filter(
           "and",
           {{{"type", "dimension"}, {"dimension", "segmentEnd"}, {"operator", "notExists"}}})}}};
}

// What the queries select, on analytics that show the world as it is (analyticsLag 0s); the
// default lag has a test of its own.
class AnalyticsTest : public ServerFixture {
 protected:
  void SetUp() override {
    StartServer(ExactWorld());
    token_ = Token();
  }

  static core::WorldSpec ExactWorld() {
    core::WorldSpec world = core::DemoWorld();
    world.analytics_lag = Duration::zero();
    return world;
  }

  Response Query(const json& query, const char* path = kDetailsPath) {
    return SendJson("POST", path, query.dump(), token_);
  }

  json Details(const json& query) {
    const Response response = Query(query);
    EXPECT_EQ(response.status, 200) << response.body;
    return response.Json();
  }

  void ExpectUnsupported(const json& query, const std::string& named,
                         const char* path = kDetailsPath) {
    const Response response = Query(query, path);
    EXPECT_EQ(response.status, 400) << query.dump();
    EXPECT_EQ(response.Json()["code"], "bad.request");
    EXPECT_NE(response.Json().value("message", "").find(named), std::string::npos)
        << "the message should name " << named << ": " << response.body;
  }

  std::string token_;
};

TEST_F(AnalyticsTest, FindsLiveLegs) {
  const json result = Details(LiveLegsQuery());
  EXPECT_EQ(result["totalHits"], 1);
  ASSERT_EQ(result["conversations"].size(), 1u);
  const json& conversation = result["conversations"][0];
  EXPECT_EQ(conversation["conversationId"], kConversationId);
  EXPECT_EQ(conversation["conversationStart"], "2026-01-01T09:00:00.000Z");
  EXPECT_FALSE(conversation.contains("conversationEnd"));
  ASSERT_EQ(conversation["participants"].size(), 3u);
  const json& supervisor = conversation["participants"][2];
  EXPECT_EQ(supervisor["participantId"], kSupervisorId);
  EXPECT_EQ(supervisor["participantName"], "Sam Supervisor");
  EXPECT_EQ(supervisor["purpose"], "user");
  EXPECT_EQ(supervisor["userId"], core::kDemoSupervisorUserId);
  ASSERT_EQ(supervisor["sessions"].size(), 1u);
  const json& session = supervisor["sessions"][0];
  EXPECT_EQ(session["mediaType"], "voice");
  EXPECT_EQ(session["sessionId"], kSupervisorId);
  EXPECT_EQ(session["direction"], "inbound");
  EXPECT_EQ(session["segments"], json::parse(R"([{"segmentType":"interact",
      "segmentStart":"2026-01-01T09:00:00.000Z","queueId":")" +
                                             kQueueId + R"(","conference":true}])"));
  EXPECT_FALSE(conversation["participants"][0]["sessions"][0]["segments"][0].contains("queueId"));
}

TEST_F(AnalyticsTest, SegmentsFollowTheLeg) {
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kCustomerId),
                     R"({"muted":true})", token_)
                .status,
            202);
  Advance("1m");
  ASSERT_EQ(Drop(token_, kSupervisorId).status, 202);
  Advance("1s");
  const json conversation = Details(LiveLegsQuery())["conversations"][0];
  const json& customer = conversation["participants"][0]["sessions"][0]["segments"];
  ASSERT_EQ(customer.size(), 2u);
  EXPECT_EQ(customer[0]["segmentEnd"], "2026-01-01T09:00:00.000Z");
  EXPECT_EQ(customer[1]["audioMuted"], true);
  EXPECT_FALSE(customer[1].contains("segmentEnd"));
  const json& supervisor = conversation["participants"][2]["sessions"][0]["segments"];
  ASSERT_EQ(supervisor.size(), 1u);
  EXPECT_EQ(supervisor[0]["segmentEnd"], "2026-01-01T09:01:00.250Z");
  EXPECT_EQ(supervisor[0]["disconnectType"], "client");

  // Only the supervisor's segment has ended.
  json ended = LiveLegsQuery();
  ended["segmentFilters"][0]["predicates"][0]["operator"] = "exists";
  EXPECT_EQ(Details(ended)["totalHits"], 1);
  json by_user = LiveLegsQuery();
  by_user["segmentFilters"] = {Filter("and", {{{"dimension", "segmentEnd"}, {"operator", "exists"}},
                                              {{"dimension", "purpose"}, {"value", "agent"}}})};
  EXPECT_EQ(Details(by_user)["totalHits"], 0) << "and: both on the same segment";
  by_user["segmentFilters"][0]["type"] = "or";
  EXPECT_EQ(Details(by_user)["totalHits"], 1);
}

TEST_F(AnalyticsTest, EndedConversationsDropOut) {
  ASSERT_EQ(
      Send("POST", "/api/v2/conversations/" + kConversationId + "/disconnect", "", Auth(token_))
          .status,
      202);
  Advance("1s");
  const json result = Details(LiveLegsQuery());
  EXPECT_EQ(result, json({{"totalHits", 0}})) << "no conversations key when there are none";
  json ended = LiveLegsQuery();
  ended["conversationFilters"][0]["predicates"][0]["operator"] = "exists";
  ended.erase("segmentFilters");
  const json found = Details(ended);
  EXPECT_EQ(found["totalHits"], 1);
  EXPECT_EQ(found["conversations"][0]["conversationEnd"], "2026-01-01T09:00:00.250Z");
}

TEST_F(AnalyticsTest, PagingOrderAndTotalHits) {
  core::WorldSpec world = ExactWorld();
  world.generated.push_back({.bridges = 5,
                             .purposes = {core::Purpose::kCustomer, core::Purpose::kAgent},
                             .queue_id = kQueueId});
  StartServer(world);
  token_ = Token();
  const json first = Details(LiveLegsQuery(4, 1));
  EXPECT_EQ(first["totalHits"], 6);
  ASSERT_EQ(first["conversations"].size(), 4u);
  EXPECT_EQ(first["conversations"][0]["conversationId"], kConversationId);
  const json second = Details(LiveLegsQuery(4, 2));
  EXPECT_EQ(second["totalHits"], 6);
  EXPECT_EQ(second["conversations"].size(), 2u);
  EXPECT_EQ(Details(LiveLegsQuery(4, 3)), json({{"totalHits", 6}}));

  json descending = LiveLegsQuery(1, 1);
  descending["order"] = "desc";
  EXPECT_EQ(Details(descending)["conversations"][0]["conversationId"],
            second["conversations"][1]["conversationId"]);

  json one = LiveLegsQuery();
  one["conversationFilters"] = {
      Filter("and", {{{"dimension", "conversationId"}, {"value", kConversationId}}})};
  EXPECT_EQ(Details(one)["totalHits"], 1);
  json agent = LiveLegsQuery();
  agent["segmentFilters"] = {
      Filter("and", {{{"dimension", "userId"}, {"value", core::kDemoAgentUserId}}})};
  EXPECT_EQ(Details(agent)["totalHits"], 1);
  json queue = LiveLegsQuery();
  queue["segmentFilters"] = {
      Filter("and", {{{"dimension", "queueId"}, {"value", kQueueId}},
                     {{"dimension", "segmentType"}, {"value", "interact"}}})};
  EXPECT_EQ(Details(queue)["totalHits"], 6);
  json held = LiveLegsQuery();
  held["segmentFilters"] = {Filter("and", {{{"dimension", "segmentType"}, {"value", "hold"}}})};
  EXPECT_EQ(Details(held)["totalHits"], 0);
  json participant = LiveLegsQuery();
  participant["segmentFilters"] = {
      Filter("or", {{{"dimension", "participantId"}, {"value", kSupervisorId}}})};
  EXPECT_EQ(Details(participant)["totalHits"], 1);
}

// As the developer docs say: a conversation is selected when it started on a (UTC) day the
// interval touches, whether or not it started inside the interval.
TEST_F(AnalyticsTest, IntervalSelectsConversationsByTheDayTheyStarted) {
  json query = LiveLegsQuery();
  query["interval"] = "2025-12-31T00:00:00.000Z/2026-01-01T00:00:00.000Z";
  EXPECT_EQ(Details(query)["totalHits"], 0) << "only Dec 31 touched";
  query["interval"] = "2025-12-31T00:00:00Z/2026-01-01T00:00:00.001Z";
  EXPECT_EQ(Details(query)["totalHits"], 1) << "touches Jan 1";
  query["interval"] = "2026-01-01T10:00:00Z/2026-01-01T11:00:00Z";
  EXPECT_EQ(Details(query)["totalHits"], 1) << "started at 09:00 the same day";
  query["interval"] = "2026-01-02T00:00:00Z/2026-01-03T00:00:00Z";
  EXPECT_EQ(Details(query)["totalHits"], 0) << "a live call is found by its start day only";
}

TEST_F(AnalyticsTest, IntervalsAreLimitedAsDocumented) {
  json query = LiveLegsQuery();
  query["interval"] = "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z";
  EXPECT_EQ(Details(query)["totalHits"], 1) << "31 days with a filter";
  query["interval"] = "2026-01-01T00:00:00Z/2026-02-01T00:00:00.001Z";
  ExpectUnsupported(query, "31 days");
  query.erase("conversationFilters");
  query.erase("segmentFilters");
  query["interval"] = "2026-01-01T00:00:00Z/2026-01-08T00:00:00Z";
  EXPECT_EQ(Details(query)["totalHits"], 1) << "7 days without";
  query["interval"] = "2026-01-01T00:00:00Z/2026-01-08T00:00:01Z";
  ExpectUnsupported(query, "7 days without filters");
}

// The docs' own example sends purpose "Customer": enumerated values match ignoring case; ids
// match exactly.
TEST_F(AnalyticsTest, SegmentDimensionsMatchAsTheRealApi) {
  const auto hits = [&](const std::string& dimension, const std::string& value) {
    json query = LiveLegsQuery();
    query["segmentFilters"][0]["predicates"].push_back({{"dimension", dimension}, {"value", value}});
    return Details(query)["totalHits"].get<int>();
  };
  EXPECT_EQ(hits("mediaType", "voice"), 1);
  EXPECT_EQ(hits("mediaType", "Voice"), 1);
  EXPECT_EQ(hits("mediaType", "chat"), 0);
  EXPECT_EQ(hits("direction", "inbound"), 1);
  EXPECT_EQ(hits("direction", "outbound"), 0);
  EXPECT_EQ(hits("purpose", "Customer"), 1);
  EXPECT_EQ(hits("purpose", "acd"), 0);
  EXPECT_EQ(hits("participantId", kSupervisorId), 1);
  std::string upper = kSupervisorId;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(hits("participantId", upper), 0);

  json origin = LiveLegsQuery();
  origin["conversationFilters"][0]["predicates"].push_back(
      {{"dimension", "originatingDirection"}, {"value", "inbound"}});
  EXPECT_EQ(Details(origin)["totalHits"], 1);
}

// The supervisor drops after ten minutes: its interact segment ends (tSegmentDuration), its
// session emits tTalk, and disconnectType shows on its last segment.
TEST_F(AnalyticsTest, MetricPredicatesAndSessionMetrics) {
  Advance("10m");
  ASSERT_EQ(Drop(token_, kSupervisorId).status, 202);
  Advance("1s");
  const auto hits = [&](const char* filters, json predicate) {
    json query = LiveLegsQuery();
    query.erase("segmentFilters");
    query[filters] = {Filter("and", {std::move(predicate)})};
    return Details(query)["totalHits"].get<int>();
  };
  const json duration = {{"type", "metric"}, {"metric", "tSegmentDuration"}};
  json at_least = duration;
  at_least["range"] = {{"gte", 600000}};
  EXPECT_EQ(hits("segmentFilters", at_least), 1);
  json shorter = duration;
  shorter["range"] = {{"lt", 600000}};
  EXPECT_EQ(hits("segmentFilters", shorter), 0) << "only the supervisor's segment has ended";
  json exact = duration;
  exact["value"] = "600250";
  EXPECT_EQ(hits("segmentFilters", exact), 1);
  EXPECT_EQ(hits("segmentFilters", {{"dimension", "disconnectType"}, {"value", "client"}}), 1);
  EXPECT_EQ(hits("segmentFilters", {{"dimension", "disconnectType"}, {"value", "peer"}}), 0);

  EXPECT_EQ(hits("conversationFilters", {{"metric", "tTalk"}, {"range", {{"gt", 600000}}}}), 1)
      << "type inferred from metric";
  EXPECT_EQ(hits("conversationFilters", {{"metric", "tTalk"}, {"range", {{"gt", 700000}}}}), 0);
  EXPECT_EQ(hits("conversationFilters", {{"metric", "tNotResponding"}, {"operator", "exists"}}), 0);
  EXPECT_EQ(hits("conversationFilters", {{"metric", "tNotResponding"}, {"operator", "notExists"}}),
            1);

  const json details = Get("/api/v2/analytics/conversations/" + kConversationId + "/details",
                           token_).Json();
  const json& session = details["participants"][2]["sessions"][0];
  EXPECT_EQ(session["metrics"], json::parse(R"([{"name":"tTalk","value":600250,
      "emitDate":"2026-01-01T09:10:00.250Z"}])"));
  EXPECT_FALSE(details["participants"][0]["sessions"][0].contains("metrics"))
      << "a customer emits none";

  json bad = duration;
  bad["range"] = {{"gte", "ten"}};
  json query = LiveLegsQuery();
  query["segmentFilters"] = {Filter("and", {bad})};
  ExpectUnsupported(query, "range.gte must be a number");
  query["segmentFilters"] = {Filter("and", {duration})};
  ExpectUnsupported(query, "needs a range or a value");
  query["segmentFilters"] = {Filter("and", {{{"metric", "tTalk"}, {"range", {{"gt", 1}}}}})};
  ExpectUnsupported(query, "metric tTalk is not supported by gcsim in segmentFilters");
  query.erase("segmentFilters");
  query["conversationFilters"] = {Filter("and", {{{"metric", "nConnected"}, {"value", "1"}}})};
  ExpectUnsupported(query, "metric nConnected");
}

TEST_F(AnalyticsTest, ClausesNestOneLevel) {
  json query = LiveLegsQuery();
  query["segmentFilters"][0]["clauses"] = {
      Filter("or", {{{"dimension", "participantId"}, {"value", kSupervisorId}},
                    {{"dimension", "participantId"}, {"value", "no-such-leg"}}})};
  EXPECT_EQ(Details(query)["totalHits"], 1);
  query["segmentFilters"][0]["clauses"][0]["predicates"][0]["value"] = "nor-this";
  EXPECT_EQ(Details(query)["totalHits"], 0) << "the clause holds for no segment";
  query["segmentFilters"][0]["clauses"][0]["clauses"] = json::array();
  ExpectUnsupported(query, "clauses[0].clauses");
}

TEST_F(AnalyticsTest, OrderBySegmentEnd) {
  core::WorldSpec world = ExactWorld();
  world.conversations.push_back(
      {.id = "11111111-0000-4000-8000-000000000001",
       .legs = {{.id = "11111111-0000-4000-8000-0000000000a1", .purpose = core::Purpose::kCustomer},
                {.purpose = core::Purpose::kExternal}}});
  StartServer(world);
  token_ = Token();
  // The later conversation's leg ends first.
  ASSERT_EQ(Drop(token_, "11111111-0000-4000-8000-0000000000a1",
                 "11111111-0000-4000-8000-000000000001")
                .status,
            202);
  Advance("1m");
  ASSERT_EQ(Drop(token_, kSupervisorId).status, 202);
  Advance("1m");
  json query = LiveLegsQuery();
  query.erase("conversationFilters");
  query["segmentFilters"] = {Filter("and", {{{"dimension", "segmentEnd"}, {"operator", "exists"}}})};
  const auto order = [&](const char* by, const char* direction) {
    query["orderBy"] = by;
    query["order"] = direction;
    std::vector<std::string> ids;
    const json result = Details(query);
    for (const json& c : result["conversations"]) ids.push_back(c["conversationId"]);
    return ids;
  };
  const std::vector<std::string> by_end = {"11111111-0000-4000-8000-000000000001",
                                           kConversationId};
  EXPECT_EQ(order("segmentEnd", "asc"), by_end);
  EXPECT_EQ(order("segmentEnd", "desc"),
            std::vector<std::string>(by_end.rbegin(), by_end.rend()));
  EXPECT_EQ(order("conversationStart", "asc"),
            std::vector<std::string>(by_end.rbegin(), by_end.rend()));
  EXPECT_EQ(order("segmentStart", "asc").size(), 2u);
}

// By default analytics trail the world by a couple of seconds, as the real pipeline does; the
// calls a world starts with were already up, so they show from the first instant.
TEST_F(AnalyticsTest, ByDefaultAnalyticsTrailTheWorld) {
  StartServer(core::DemoWorld());
  token_ = Token();
  EXPECT_EQ(Details(LiveLegsQuery())["totalHits"], 1) << "the world's first calls show at once";
  ASSERT_EQ(Drop(token_, kSupervisorId).status, 202);
  Advance("1s");
  const auto supervisor_ended = [&] {
    const json details =
        Get("/api/v2/analytics/conversations/" + kConversationId + "/details", token_).Json();
    return details["participants"][2]["sessions"][0]["segments"][0].contains("segmentEnd");
  };
  EXPECT_FALSE(supervisor_ended()) << "left 750ms ago: analytics do not show it yet";
  EXPECT_EQ(Observe(token_, "oInteracting"), 2);
  Advance("1250ms");
  EXPECT_TRUE(supervisor_ended());
  EXPECT_EQ(Observe(token_, "oInteracting"), 1);
}

TEST_F(AnalyticsTest, OneConversationsDetails) {
  const Response found =
      Get("/api/v2/analytics/conversations/" + kConversationId + "/details", token_);
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(found.Json(), Details(LiveLegsQuery())["conversations"][0]);
  const Response missing =
      Get("/api/v2/analytics/conversations/00000000-0000-4000-8000-000000000000/details", token_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Json()["code"], "not.found");
}

TEST_F(AnalyticsTest, UnsupportedQueriesSayWhat) {
  json query = LiveLegsQuery();
  query["segmentFilters"][0]["predicates"][0] = {{"dimension", "wrapUpCode"}, {"value", "x"}};
  ExpectUnsupported(query, "dimension wrapUpCode");

  query = LiveLegsQuery();
  query["segmentFilters"][0]["predicates"][0] = {{"type", "property"}, {"property", "x"}};
  ExpectUnsupported(query, "property predicates are not supported by gcsim");

  query = LiveLegsQuery();
  query["segmentFilters"][0]["predicates"][0]["operator"] = "matches";
  ExpectUnsupported(query, "operator matches on dimension segmentEnd");

  query = LiveLegsQuery();
  query["segmentFilters"][0]["predicates"][0] = {{"dimension", "queueId"}, {"operator", "exists"}};
  ExpectUnsupported(query, "operator exists on dimension queueId");

  query = LiveLegsQuery();
  query["conversationFilters"][0]["predicates"][0] = {{"dimension", "segmentType"},
                                                      {"value", "interact"}};
  ExpectUnsupported(query,
                    "dimension segmentType is not supported by gcsim in conversationFilters");

  query = LiveLegsQuery();
  query["segmentFilters"][0] = {{"type", "and"}, {"clauses", json::array()}};
  ExpectUnsupported(query, "segmentFilters[0] needs at least one predicate or clause");

  query = LiveLegsQuery();
  query["orderBy"] = "wrapUpCode";
  ExpectUnsupported(query, "orderBy \"wrapUpCode\"");

  query = LiveLegsQuery();
  query["aggregations"] = json::array();
  ExpectUnsupported(query, "aggregations");

  query = LiveLegsQuery();
  query["paging"]["pageSize"] = 101;
  ExpectUnsupported(query, "pageSize");

  query = LiveLegsQuery();
  query.erase("interval");
  ExpectUnsupported(query, "interval");

  query = LiveLegsQuery();
  query["interval"] = "yesterday";
  const Response bad_interval = Query(query);
  EXPECT_EQ(bad_interval.status, 400);
  EXPECT_EQ(bad_interval.Json()["code"], "invalid.date");
}

TEST_F(AnalyticsTest, QueueObservations) {
  const json query = {{"filter", Filter("or", {{{"dimension", "queueId"}, {"value", kQueueId}},
                                               {{"dimension", "mediaType"}, {"value", "voice"}}})},
                      {"metrics", {"oWaiting", "oInteracting"}}};
  const Response response = Query(query, kObservationsPath);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json(), json::parse(R"({"results":[{"group":{"queueId":")" + kQueueId +
                                         R"(","mediaType":"voice"},"data":[
      {"metric":"oWaiting","stats":{"count":0}},{"metric":"oInteracting","stats":{"count":2}}]}]})"));
}

TEST_F(AnalyticsTest, QueueObservationsCountWaitingCalls) {
  core::WorldSpec world = ExactWorld();
  world.conversations.push_back({.legs = {{.purpose = core::Purpose::kCustomer},
                                          {.purpose = core::Purpose::kAcd, .queue_id = kQueueId}}});
  StartServer(world);
  token_ = Token();
  EXPECT_EQ(Observe(token_, "oWaiting"), 1);
  EXPECT_EQ(Observe(token_, "oInteracting"), 2);
  EXPECT_EQ(Observe(token_, "oWaiting", "7c1d2e3f-0000-4000-8000-0000000000ff"), 0)
      << "unknown queue";
}

TEST_F(AnalyticsTest, UnsupportedObservationsSayWhat) {
  const json queue = {{"dimension", "queueId"}, {"value", kQueueId}};
  ExpectUnsupported({{"filter", Filter("or", {queue})},
                     {"metrics", {"oInteracting", "oServiceLevel", "oLongestWaiting"}}},
                    "oServiceLevel, oLongestWaiting", kObservationsPath);
  ExpectUnsupported({{"filter", Filter("or", {{{"dimension", "userId"}, {"value", "x"}}})},
                     {"metrics", {"oWaiting"}}},
                    "dimension userId", kObservationsPath);
  ExpectUnsupported({{"filter", Filter("or", {queue})},
                     {"metrics", {"oOnQueueUsers"}},
                     {"detailMetrics", {"oOnQueueUsers"}}},
                    "detailMetrics oOnQueueUsers", kObservationsPath);
  ExpectUnsupported({{"filter", Filter("or", {queue})}}, "metrics", kObservationsPath);
  ExpectUnsupported({{"filter", {{"type", "and"}, {"clauses", {Filter("or", {queue})}}}}},
                    "metrics", kObservationsPath);
  json nested = {{"type", "or"}, {"predicates", {queue}}, {"clauses", json::array()}};
  ExpectUnsupported({{"filter", {{"type", "and"}, {"clauses", {nested}}}}, {"metrics", {"oWaiting"}}},
                    "filter.clauses[0].clauses", kObservationsPath);
}

// What a real queue dashboard asks: users by routing status, and the calls behind a count.
TEST_F(AnalyticsTest, QueueObservationsOfUsersAndDetails) {
  const json queue = {{"dimension", "queueId"}, {"value", kQueueId}};
  const json query = {
      {"filter", Filter("and", {queue, {{"dimension", "mediaType"}, {"value", "voice"}}})},
      {"metrics", {"oOnQueueUsers", "oUserRoutingStatuses", "oMemberUsers", "oInteracting"}},
      {"detailMetrics", {"oInteracting"}}};
  const Response response = Query(query, kObservationsPath);
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = response.Json();
  const json& data = body["results"][0]["data"];
  // The demo's agent and supervisor are both on the queue's call: INTERACTING.
  EXPECT_EQ(data[0], json::parse(R"({"metric":"oOnQueueUsers","qualifier":"INTERACTING",
      "stats":{"count":2}})"));
  EXPECT_EQ(data[1], json::parse(R"({"metric":"oUserRoutingStatuses","qualifier":"INTERACTING",
      "stats":{"count":2}})"));
  EXPECT_EQ(data[2], json::parse(R"({"metric":"oMemberUsers","stats":{"count":2}})"));
  const json& interacting = data[3];
  EXPECT_EQ(interacting["stats"]["count"], 2);
  EXPECT_EQ(interacting["truncated"], false);
  ASSERT_EQ(interacting["observations"].size(), 2u);
  const json& supervisor = interacting["observations"][1];
  EXPECT_EQ(supervisor["conversationId"], kConversationId);
  EXPECT_EQ(supervisor["sessionId"], kSupervisorId);
  EXPECT_EQ(supervisor["userId"], core::kDemoSupervisorUserId);
  EXPECT_EQ(supervisor["observationDate"], "2026-01-01T09:00:00.000Z");

  // and-ing two queues: no group satisfies it; a clause of either: one group each.
  const json other = {{"dimension", "queueId"}, {"value", "7c1d2e3f-0000-4000-8000-0000000000ff"}};
  json both = {{"filter", Filter("and", {queue, other})}, {"metrics", {"oWaiting"}}};
  EXPECT_EQ(Query(both, kObservationsPath).Json()["results"], json::array());
  json either = {{"filter", {{"type", "and"},
                             {"predicates", {{{"dimension", "mediaType"}, {"value", "voice"}}}},
                             {"clauses", {Filter("or", {queue, other})}}}},
                 {"metrics", {"oWaiting"}}};
  EXPECT_EQ(Query(either, kObservationsPath).Json()["results"].size(), 2u);
}

// Only the queue's members count; one off queue reads OFF_QUEUE, which oOnQueueUsers leaves out.
TEST_F(AnalyticsTest, RoutingStatusesCountTheQueuesMembers) {
  core::WorldSpec world = ExactWorld();
  world.users.push_back(
      {.id = "7c1d2e3f-0000-4000-8000-0000000000b9", .name = "Off", .on_queue = false});
  world.queues[0].member_ids = {std::string(core::kDemoSupervisorUserId),
                                "7c1d2e3f-0000-4000-8000-0000000000b9"};
  StartServer(world);
  token_ = Token();
  const json query = {{"filter", Filter("or", {{{"dimension", "queueId"}, {"value", kQueueId}}})},
                      {"metrics", {"oUserRoutingStatuses", "oOnQueueUsers", "oMemberUsers"}}};
  const Response response = Query(query, kObservationsPath);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["results"][0]["data"], json::parse(R"([
      {"metric":"oUserRoutingStatuses","qualifier":"INTERACTING","stats":{"count":1}},
      {"metric":"oUserRoutingStatuses","qualifier":"OFF_QUEUE","stats":{"count":1}},
      {"metric":"oOnQueueUsers","qualifier":"INTERACTING","stats":{"count":1}},
      {"metric":"oMemberUsers","stats":{"count":2}}])"));
}

}  // namespace
}  // namespace gcsim::http::testing
