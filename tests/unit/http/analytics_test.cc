#include "analytics.h"

#include <gtest/gtest.h>

#include "gcsim/core/api_errors.h"
#include "gcsim/core/world.h"

namespace gcsim::http {
namespace {

using nlohmann::json;

class HttpAnalyticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = core::Simulator::Create({.clock = &clock_}, core::DemoWorld());
    ASSERT_TRUE(sim.ok());
    sim_ = std::move(*sim);
  }

  static json Query(json segment_predicate) {
    return {
        {"interval", "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"},
        {"segmentFilters", {{{"type", "and"}, {"predicates", {std::move(segment_predicate)}}}}}};
  }

  ManualClock clock_;
  std::unique_ptr<core::Simulator> sim_;
};

TEST_F(HttpAnalyticsTest, SupportedPredicates) {
  const std::string queue(core::kDemoQueueId);
  for (const json& predicate :
       {json{{"dimension", "segmentType"}, {"value", "interact"}},
        json{{"dimension", "segmentEnd"}, {"operator", "notExists"}},
        json{{"type", "dimension"}, {"dimension", "queueId"}, {"value", queue}},
        json{{"dimension", "purpose"}, {"operator", "matches"}, {"value", "customer"}},
        json{{"dimension", "userId"}, {"value", core::kDemoAgentUserId}},
        json{{"dimension", "participantId"}, {"value", core::kDemoSupervisorId}}}) {
    const auto result = QueryConversationDetails(*sim_, Query(predicate));
    ASSERT_TRUE(result.ok()) << predicate.dump() << ": " << result.status().message();
    EXPECT_EQ((*result)["totalHits"], 1) << predicate.dump();
  }
  const auto none =
      QueryConversationDetails(*sim_, Query({{"dimension", "purpose"}, {"value", "ivr"}}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, json({{"totalHits", 0}}));
}

TEST_F(HttpAnalyticsTest, EverythingElseIsRefusedByName) {
  const json base = Query({{"dimension", "segmentType"}, {"value", "interact"}});
  const auto with = [&base](const std::string& key, json value) {
    json query = base;
    query[key] = std::move(value);
    return query;
  };
  const std::vector<std::pair<json, std::string>> cases = {
      {Query({{"dimension", "wrapUpCode"}, {"value", "x"}}), "dimension wrapUpCode"},
      {Query({{"type", "property"}, {"property", "x"}}), "property predicates"},
      {Query({{"dimension", "segmentType"}, {"operator", "notExists"}}),
       "operator notExists on dimension segmentType"},
      {Query({{"dimension", "segmentType"}, {"operator", "like"}, {"value", "i"}}),
       ".operator must be matches, exists or notExists"},
      {Query({{"dimension", "segmentType"}, {"range", {{"gt", 1}}}}), "range"},
      {Query({{"dimension", "segmentType"}}), "value is required"},
      {Query({{"dimension", "segmentType"}, {"value", 3}}), "value must be a string"},
      {with("surveyFilters", json::array()), "surveyFilters"},
      {with("order", "sideways"), "order"},
      {with("orderBy", "wrapUpCode"), "orderBy \"wrapUpCode\""},
      {with("paging", {{"pageSize", 10}, {"cursor", "x"}}), "paging.cursor"},
      {with("paging", {{"pageNumber", 0}}), "pageNumber"},
      {with("segmentFilters",
            {{{"type", "xor"}, {"predicates", {{{"dimension", "segmentType"}, {"value", "x"}}}}}}),
       "type must be and or or"},
      {with("segmentFilters", {{{"type", "and"}, {"predicates", json::array()}}}),
       "needs at least one predicate or clause"},
      {with("conversationFilters",
            {{{"type", "and"},
              {"predicates", {{{"dimension", "conversationEnd"}, {"value", "x"}}}}}}),
       "operator matches on dimension conversationEnd"},
      {json::array(), "JSON object"},
  };
  for (const auto& [query, named] : cases) {
    const auto result = QueryConversationDetails(*sim_, query);
    ASSERT_FALSE(result.ok()) << query.dump();
    EXPECT_EQ(core::ApiCodeOf(result.status()), "bad.request") << query.dump();
    EXPECT_NE(result.status().message().find(named), std::string::npos)
        << query.dump() << " -> " << result.status().message();
  }
}

TEST_F(HttpAnalyticsTest, Observations) {
  const std::string queue(core::kDemoQueueId);
  const auto query = [&](const std::string& type, json predicates) {
    return json{{"filter", {{"type", type}, {"predicates", std::move(predicates)}}},
                {"metrics", {"oInteracting"}}};
  };
  const json other = {{"dimension", "queueId"}, {"value", "7c1d2e3f-0000-4000-8000-0000000000ff"}};
  const json mine = {{"dimension", "queueId"}, {"value", queue}};
  auto both = QueryQueueObservations(*sim_, query("or", {mine, other}));
  ASSERT_TRUE(both.ok());
  ASSERT_EQ((*both)["results"].size(), 2u);
  EXPECT_EQ((*both)["results"][0]["data"][0]["stats"]["count"], 2);
  EXPECT_EQ((*both)["results"][1]["data"][0]["stats"]["count"], 0);
  auto neither = QueryQueueObservations(*sim_, query("and", {mine, other}));
  ASSERT_TRUE(neither.ok());
  EXPECT_EQ((*neither)["results"], json::array()) << "no call is in two queues";
  auto no_queue = QueryQueueObservations(
      *sim_, query("or", {{{"dimension", "mediaType"}, {"value", "voice"}}}));
  ASSERT_FALSE(no_queue.ok());
  EXPECT_NE(no_queue.status().message().find("queueId"), std::string::npos);
}

}  // namespace
}  // namespace gcsim::http
