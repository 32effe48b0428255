// The analytics queries: finding live legs (details) and the queue dashboard (observations).
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

class AnalyticsTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    token_ = Token();
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
  ASSERT_EQ(SendJson("PATCH", GenericParticipantPath(kConversationId, kSupervisorId),
                     R"({"state":"disconnected"})", token_)
                .status,
            202);
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
  core::WorldSpec world = core::DemoWorld();
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

TEST_F(AnalyticsTest, IntervalSelectsConversations) {
  json before = LiveLegsQuery();
  before["interval"] = "2025-12-31T00:00:00.000Z/2026-01-01T09:00:00.000Z";
  EXPECT_EQ(Details(before)["totalHits"], 0) << "started at the interval's end: outside";
  before["interval"] = "2025-12-31T00:00:00Z/2026-01-01T09:00:00.001Z";
  EXPECT_EQ(Details(before)["totalHits"], 1);
}

TEST_F(AnalyticsTest, UnsupportedQueriesSayWhat) {
  json query = LiveLegsQuery();
  query["segmentFilters"][0]["predicates"][0] = {{"dimension", "mediaType"}, {"value", "voice"}};
  ExpectUnsupported(query, "mediaType");

  query = LiveLegsQuery();
  query["segmentFilters"][0]["predicates"][0] = {{"type", "metric"},
                                                 {"metric", "tSegmentDuration"}};
  ExpectUnsupported(query, "metric predicates are not supported by gcsim");

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
  query["segmentFilters"][0]["clauses"] = json::array();
  ExpectUnsupported(query, "segmentFilters[0].clauses");

  query = LiveLegsQuery();
  query["orderBy"] = "segmentStart";
  ExpectUnsupported(query, "orderBy segmentStart");

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
  core::WorldSpec world = core::DemoWorld();
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
                     {"metrics", {"oInteracting", "oActiveUsers", "oOnQueueUsers"}}},
                    "oActiveUsers, oOnQueueUsers", kObservationsPath);
  ExpectUnsupported(
      {{"filter", Filter("or", {queue, {{"dimension", "mediaType"}, {"value", "chat"}}})},
       {"metrics", {"oWaiting"}}},
      "mediaType chat", kObservationsPath);
  ExpectUnsupported({{"filter", Filter("or", {{{"dimension", "userId"}, {"value", "x"}}})},
                     {"metrics", {"oWaiting"}}},
                    "dimension userId", kObservationsPath);
  ExpectUnsupported({{"filter", Filter("or", {queue})},
                     {"metrics", {"oWaiting"}},
                     {"detailMetrics", {"oWaiting"}}},
                    "detailMetrics", kObservationsPath);
  ExpectUnsupported({{"filter", Filter("or", {queue})}}, "metrics", kObservationsPath);
}

}  // namespace
}  // namespace gcsim::http::testing
