// The read-only rules behind the API's queries, on a real Simulator's world.
#include "gcsim/core/queries.h"

#include <gtest/gtest.h>

#include "gcsim/core/simulator.h"

namespace gcsim::core {
namespace {

using Dimension = DetailPredicate::Dimension;
using Operator = DetailPredicate::Operator;
using std::chrono::hours;
using std::chrono::minutes;

class QueriesTest : public testing::Test {
 protected:
  void SetUp() override {
    sim_ = Simulator::Create({.clock = &clock_}, DemoWorld()).value();
    clock_.Advance(minutes(1));
    second_ = sim_->AddConversation({.legs = {{.purpose = Purpose::kCustomer},
                                              {.purpose = Purpose::kAgent,
                                               .user_id = std::string(kDemoAgentUserId)}}})
                  .value();
    clock_.Advance(minutes(1));
  }
  std::vector<std::string> Run(const ConversationDetailQuery& query, size_t* total = nullptr) {
    std::vector<std::string> ids;
    sim_->Read([&](const WorldView& world) {
      const size_t all =
          RunDetailQuery(world, query, [&](const Conversation& c) { ids.push_back(c.id); });
      if (total != nullptr) *total = all;
    });
    return ids;
  }
  ConversationDetailQuery Today() const {
    return {.start = clock_.Now() - hours(1), .end = clock_.Now() + hours(1)};
  }

  ManualClock clock_;
  std::unique_ptr<Simulator> sim_;
  std::string second_;
};

TEST_F(QueriesTest, DetailQueryFiltersOrdersAndPages) {
  const std::string demo(kDemoConversationId);
  EXPECT_EQ(Run(Today()), (std::vector<std::string>{demo, second_}));
  ConversationDetailQuery desc = Today();
  desc.descending = true;
  desc.page_size = 1;
  size_t total = 0;
  EXPECT_EQ(Run(desc, &total), std::vector<std::string>{second_});
  EXPECT_EQ(total, 2u);
  desc.page_number = 2;
  EXPECT_EQ(Run(desc), std::vector<std::string>{demo});

  // A segment filter holds when one segment of one leg satisfies it on its own.
  ConversationDetailQuery supervised = Today();
  supervised.segment_filters.push_back(
      {.predicates = {{.dimension = Dimension::kPurpose, .value = "user"},
                      {.dimension = Dimension::kSegmentEnd, .op = Operator::kNotExists}}});
  EXPECT_EQ(Run(supervised), std::vector<std::string>{demo});
  ConversationDetailQuery either = Today();
  either.conversation_filters.push_back(
      {.any = true, .predicates = {{.dimension = Dimension::kConversationId, .value = second_},
                                   {.dimension = Dimension::kConversationId, .value = "none"}}});
  EXPECT_EQ(Run(either), std::vector<std::string>{second_});

  ASSERT_TRUE(sim_->DisconnectConversation(second_).status.ok());
  clock_.Advance(minutes(1));
  ConversationDetailQuery live = Today();
  live.conversation_filters.push_back(
      {.predicates = {{.dimension = Dimension::kConversationEnd, .op = Operator::kNotExists}}});
  EXPECT_EQ(Run(live), std::vector<std::string>{demo});
  ConversationDetailQuery yesterday{.start = clock_.Now() - hours(30), .end = clock_.Now() - hours(20)};
  EXPECT_TRUE(Run(yesterday).empty());
}

TEST_F(QueriesTest, LiveCallsOfAUserAndTheQueueDashboard) {
  const auto calls = [&](const std::string& user) {
    std::vector<std::string> ids;
    sim_->Read([&](const WorldView& world) {
      for (const Conversation* conv : LiveCallsOf(world, user)) ids.push_back(conv->id);
    });
    return ids;
  };
  const std::string agent(kDemoAgentUserId);
  EXPECT_EQ(calls(agent), (std::vector<std::string>{std::string(kDemoConversationId), second_}));
  EXPECT_TRUE(calls("nobody").empty());
  ASSERT_TRUE(sim_->DisconnectConversation(second_).status.ok());
  clock_.Advance(minutes(1));
  EXPECT_EQ(calls(agent), std::vector<std::string>{std::string(kDemoConversationId)});

  QueueObservation seen;
  sim_->Read([&](const WorldView& world) { seen = ObserveQueue(world, std::string(kDemoQueueId)); });
  EXPECT_EQ(seen.interacting.size(), 2u);  // the agent and the silent supervisor
  EXPECT_EQ(seen.waiting.size(), 0u);
}

// Shows what a real view shows and counts the walks of every conversation (ConversationsByStart).
class CountingView final : public ForwardingView {
 public:
  CountingView(const WorldView& inner, int& walks) : ForwardingView(inner), walks_(walks) {}
  const std::vector<const Conversation*>& ConversationsByStart() const override {
    ++walks_;
    return inner_.ConversationsByStart();
  }

 private:
  int& walks_;
};

TEST_F(QueriesTest, EveryPageOfAQueryCostsOneWalkWhileTheWorldStaysTheSame) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(sim_->AddConversation({.legs = {{.purpose = Purpose::kCustomer}}}).ok());
  }
  DetailQueryCache cache;
  int walks = 0;
  // Every page of `query` read through the cache, and the whole list read without it.
  const auto pages = [&](ConversationDetailQuery query) {
    std::vector<std::string> paged, whole;
    size_t total = 0;
    sim_->Read([&](const WorldView& world) {
      const CountingView counted(world, walks);
      query.page_size = 2;
      for (query.page_number = 1;; ++query.page_number) {
        const size_t before = paged.size();
        total = RunDetailQuery(counted, query, [&](const Conversation& c) { paged.push_back(c.id); },
                               &cache);
        if (paged.size() == before) break;
      }
      query.page_size = 100;
      query.page_number = 1;
      RunDetailQuery(world, query, [&](const Conversation& c) { whole.push_back(c.id); });
    });
    EXPECT_EQ(paged, whole);
    EXPECT_EQ(total, whole.size());
    return paged;
  };

  const std::vector<std::string> all = pages(Today());
  EXPECT_EQ(all.size(), 7u);
  EXPECT_EQ(walks, 1) << "four pages, one walk";
  ConversationDetailQuery backwards = Today();
  backwards.descending = true;
  EXPECT_EQ(pages(backwards), std::vector<std::string>(all.rbegin(), all.rend()));
  EXPECT_EQ(walks, 2) << "another query walks again";

  // After a change to the world, or once time has passed, the next page walks again.
  ConversationDetailQuery live = backwards;
  live.conversation_filters.push_back(
      {.predicates = {{.dimension = Dimension::kConversationEnd, .op = Operator::kNotExists}}});
  EXPECT_EQ(pages(live).size(), 7u);
  EXPECT_EQ(walks, 3);
  ASSERT_TRUE(sim_->DisconnectConversation(second_).status.ok());  // lands after a latency
  clock_.Advance(minutes(1));
  EXPECT_EQ(pages(live).size(), 6u);
  EXPECT_EQ(walks, 4);
  ASSERT_TRUE(sim_->AddConversation({.legs = {{.purpose = Purpose::kCustomer}}}).ok());
  EXPECT_EQ(pages(live).size(), 7u);
  EXPECT_EQ(walks, 5);
  clock_.Advance(minutes(1));
  EXPECT_EQ(pages(live).size(), 7u);
  EXPECT_EQ(walks, 6);
  EXPECT_EQ(pages(live).size(), 7u);
  EXPECT_EQ(walks, 6);
}

}  // namespace
}  // namespace gcsim::core
