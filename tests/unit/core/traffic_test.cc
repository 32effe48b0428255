#include "gcsim/core/traffic.h"

#include <gtest/gtest.h>

#include "gcsim/common/clock.h"
#include "gcsim/core/journal.h"

namespace gcsim::core {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

JournalEntry Patch(int status, bool changed_nothing, std::vector<std::string> ignored = {}) {
  return {.at = kSimulationStart, .method = "PATCH", .route = "/r/{id}", .client_id = "c",
          .status = status, .ignored_fields = std::move(ignored), .changed_nothing = changed_nothing};
}

JournalEntry Drop(int status, Duration silent_for) {
  JournalEntry entry = Patch(status, false);
  entry.at = kSimulationStart + minutes(30);
  entry.drop_silent_since = entry.at - silent_for;
  return entry;
}

TEST(TrafficMetricsTest, CountsRequestsByClientRouteAndStatus) {
  TrafficMetrics traffic;
  traffic.Observe(Patch(202, false));
  traffic.Observe(Patch(429, false));
  traffic.Observe(Patch(429, false));
  JournalEntry other = Patch(404, false);
  other.route.clear();
  other.client_id.clear();
  traffic.Observe(other);
  traffic.Observe({.kind = "effect", .client_id = "c"});  // not a request
  const ClientTraffic c = traffic.Client("c");
  EXPECT_EQ(c.requests, 3u);
  EXPECT_EQ(c.too_many_requests, 2u);
  EXPECT_EQ((c.by_route.at({.route = "/r/{id}", .method = "PATCH", .status = 429})), 2u);
  EXPECT_EQ((traffic.Client("").by_route.at({.route = "unmatched", .method = "PATCH", .status = 404})), 1u);
}

TEST(TrafficMetricsTest, NamesTheNoOpPatchesAndTheFieldsIgnored) {
  TrafficMetrics traffic;
  for (int i = 0; i < 12; ++i) traffic.Observe(Patch(204, true, {"dispositionCode", "dropReason"}));
  traffic.Observe(Patch(400, true, {"bogus"}));  // refused: not a no-op answered 2xx
  EXPECT_EQ(traffic.Client("c").no_op_patches, 12u);
  EXPECT_EQ(DescribeNoOpPatches(traffic.Client("c")),
            "12 PATCHes answered 204 and changed nothing; fields ignored: dispositionCode, dropReason");
  traffic.Observe(Patch(202, true));
  EXPECT_EQ(DescribeNoOpPatches(traffic.Client("c")),
            "13 PATCHes answered 202 (1), 204 (12) and changed nothing; fields ignored: "
            "dispositionCode, dropReason");
  EXPECT_EQ(DescribeNoOpPatches(ClientTraffic{}), "");
}

TEST(TrafficMetricsTest, TellsEarlyDropsFromLateOnes) {
  TrafficMetrics traffic;
  traffic.set_idle_timeout(minutes(10));
  traffic.Observe(Drop(202, minutes(9)));              // early
  traffic.Observe(Drop(202, minutes(10)));             // on time: lateness 0
  traffic.Observe(Drop(202, minutes(10) + seconds(20)));  // 20s late
  traffic.Observe(Drop(429, minutes(12)));             // not accepted: not a drop
  const ClientTraffic c = traffic.Client("c");
  EXPECT_EQ(c.early_drops, 1u);
  EXPECT_EQ(c.drops, 3u);
  EXPECT_EQ(c.lateness.count, 2u);
  EXPECT_EQ(c.lateness.max, seconds(20));
  EXPECT_EQ(c.lateness.buckets[0], 1u);  // <= 0.25s
  EXPECT_EQ(c.lateness.buckets[7], 1u);  // <= 30s
}

// Heard only after the client's newest read was carried out, silent the whole timeout then:
// no read could have shown it, so not early. Heard before that read: early.
TEST(TrafficMetricsTest, SpeechAfterTheClientsNewestReadIsNotEarly) {
  JournalEntry drop = Drop(202, seconds(1));
  EXPECT_TRUE(IsEarlyDrop(drop, minutes(10)));  // no evidence: judged on the drop alone
  drop.drop_evidence =
      DropEvidence{.read_at = drop.at - seconds(2), .silent_since = drop.at - minutes(12)};
  EXPECT_FALSE(IsEarlyDrop(drop, minutes(10)));
  drop.drop_evidence->silent_since = drop.at - seconds(2) - minutes(9);  // 9m silent at the read
  EXPECT_TRUE(IsEarlyDrop(drop, minutes(10)));
  EXPECT_FALSE(IsEarlyDrop(Drop(202, minutes(10)), minutes(10)));
  TrafficMetrics traffic;
  drop.drop_evidence->silent_since = drop.at - minutes(12);
  traffic.Observe(drop);
  EXPECT_EQ(traffic.Client("c").early_drops, 0u);
  EXPECT_EQ(traffic.Client("c").drops, 1u);
  EXPECT_EQ(traffic.Client("c").lateness.count, 0u);  // neither early nor late: no lateness
}

TEST(TrafficMetricsTest, ClientIdsBeyondTheLimitShareOneCount) {
  TrafficMetrics traffic;
  for (size_t i = 0; i < TrafficMetrics::kMaxClients + 10; ++i) {
    JournalEntry entry = Patch(401, false);
    entry.client_id = "client-" + std::to_string(i);
    traffic.Observe(entry);
  }
  EXPECT_EQ(traffic.Clients().size(), TrafficMetrics::kMaxClients + 1);
  EXPECT_EQ(traffic.Client(TrafficMetrics::kOtherClients).requests, 10u);
}

TEST(TrafficMetricsTest, TheJournalCountsEveryEntryItKeepsOrNot) {
  Journal journal(2);
  for (int i = 0; i < 5; ++i) journal.Append(Patch(204, true, {"x"}));
  EXPECT_EQ(journal.Entries().size(), 2u);
  EXPECT_EQ(journal.traffic().Client("c").no_op_patches, 5u);
  journal.Clear();
  EXPECT_EQ(journal.traffic().Client("c").requests, 5u);
}

}  // namespace
}  // namespace gcsim::core
