// Fault episodes: reading them (errors name the field), and which requests they hit (window,
// count, selectors, and a probability drawn from the seed: same seed, same faults).
#include "gcsim/core/faults.h"

#include <gtest/gtest.h>

namespace gcsim::core {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const TimePoint kNow = TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1));
const FaultTarget kPatch{.method = "PATCH",
                         .route = "/api/v2/conversations/{conversationId}/participants/{participantId}",
                         .client_id = "reaper"};

FaultEpisode Parse(const json& value) {
  auto episode = ParseFault(value, kNow);
  EXPECT_TRUE(episode.ok()) << episode.status().ToString();
  return episode.ok() ? *episode : FaultEpisode{};
}

TEST(FaultsTest, BadEpisodesSayWhichFieldAndWhy) {
  const std::pair<json, std::string> cases[] = {
      {json{{"kind", "lightning"}}, "/kind: unknown fault kind \"lightning\""},
      {json{{"kind", "status"}, {"status", 418}}, "/status: expected 500, 502, 503 or 504"},
      {json{{"kind", "throttle"}, {"status", 503}},
       "/status: only a \"status\" fault has a status"},
      {json{{"kind", "status"}, {"from", "1m"}, {"until", "30s"}}, "/until: must be after from"},
      {json{{"kind", "status"}, {"probability", 1.5}}, "/probability: expected a number in (0, 1]"},
      {json{{"kind", "status"}, {"count", 0}}, "/count"},
      {json{{"kind", "status"}, {"methd", "PATCH"}}, "methd"},
      {json{{"kind", "lostDrop"}, {"retryAfter", "5s"}}, "/retryAfter"},
      {json{{"kind", "status"}, {"participantId", "not-a-uuid"}}, "/participantId"},
      {json::array(), "a fault must be a JSON object"},
      {json{{"kind", "stuckMedia"}}, "/participantId: a stuckMedia fault names the leg"},
      {json{{"kind", "stuckMedia"},
            {"participantId", "9f8e7d6c-5b4a-3210-abcd-ef1234567890"},
            {"count", 2}},
       "/count: a stuckMedia fault counts its drops with \"attempts\""},
      {json{{"kind", "status"}, {"attempts", 2}},
       "/attempts: only a stuckMedia fault has attempts"},
      {json{{"kind", "revokeTokens"}, {"until", "1m"}}, "/until: a revokeTokens fault has only"},
      {json{{"kind", "latency"}}, "missing required field \"delay\""},
      {json{{"kind", "latency"}, {"delay", "-1s"}}, "/delay"},
      {json{{"kind", "staleAnalytics"}}, "missing required field \"lag\""},
      {json{{"kind", "staleReads"}, {"lag", "0s"}}, "/lag: must be more than 0s"},
      {json{{"kind", "close"}, {"lag", "1m"}},
       "/lag: only a \"staleAnalytics\" or \"staleReads\" fault has a lag"},
      {json{{"kind", "staleReads"}, {"lag", "1m"}, {"delay", "1s"}},
       "/delay: only a \"latency\" fault has a delay"},
      {json{{"kind", "reset"}, {"retryAfter", "1s"}},
       "/retryAfter: only a \"status\" or \"throttle\""},
      // A selector no request can match would make the episode silently never befall one.
      {json{{"kind", "reset"}, {"method", "patch"}},
       "/method: \"patch\" is no method gcsim serves"},
      {json{{"kind", "reset"}, {"method", "PACTH"}}, "(GET, HEAD, POST, PUT, PATCH or DELETE)"},
      {json{{"kind", "reset"}, {"route", "api/v2/conversations"}},
       "/route: \"api/v2/conversations\" is no route gcsim serves"},
      {json{{"kind", "reset"}, {"route", "/api/v2/conversations/{id}"}},
       "is no route gcsim serves"},
      {json{{"kind", "reset"}, {"route", "/api/v2/conversations/calls/{conversationId}/"}},
       "is no route gcsim serves"},
  };
  for (const auto& [value, wanted] : cases) {
    const auto episode = ParseFault(value, kNow);
    ASSERT_FALSE(episode.ok()) << value;
    EXPECT_NE(episode.status().message().find(wanted), std::string::npos)
        << value << " -> " << episode.status().message();
  }
}

TEST(FaultsTest, TimingKindsKeepTheirDurationThroughTheirJson) {
  const FaultEpisode latency = Parse({{"kind", "latency"}, {"delay", "2m30s"}, {"method", "PATCH"}});
  EXPECT_EQ(latency.kind, FaultKind::kLatency);
  EXPECT_EQ(latency.delay, seconds(150));
  EXPECT_EQ(ToJson(latency).value("delay", ""), "2m30s");
  const FaultEpisode stale = Parse({{"kind", "staleAnalytics"}, {"lag", "5m"}});
  EXPECT_EQ(stale.lag, std::chrono::minutes(5));
  EXPECT_EQ(ToJson(stale).value("lag", ""), "5m");
  EXPECT_FALSE(ToJson(stale).contains("delay"));
  for (const char* kind : {"reset", "close", "staleReads"}) {
    json value = {{"kind", kind}};
    if (std::string(kind) == "staleReads") value["lag"] = "1s";
    EXPECT_EQ(ToJson(Parse(value)).value("kind", ""), kind);
  }
}

TEST(FaultsTest, AnEpisodeHitsMatchingRequestsInsideItsWindowUpToItsCount) {
  FaultBook book(1);
  const FaultEpisode added = book.Add(Parse(
      {{"kind", "status"}, {"status", 503}, {"method", "PATCH"}, {"from", "10s"}, {"until", "1m"}, {"count", 2}}));
  EXPECT_EQ(added.id, "fault-1");
  EXPECT_FALSE(book.Hit(kPatch, {FaultKind::kStatus}, kNow + seconds(9)));  // not yet
  FaultTarget get = kPatch;
  get.method = "GET";
  EXPECT_FALSE(book.Hit(get, {FaultKind::kStatus}, kNow + seconds(10)));       // another method
  EXPECT_FALSE(book.Hit(kPatch, {FaultKind::kLostDrop}, kNow + seconds(10)));  // another kind
  EXPECT_TRUE(book.Hit(kPatch, {FaultKind::kStatus}, kNow + seconds(10)));
  EXPECT_TRUE(book.Hit(kPatch, {FaultKind::kStatus}, kNow + seconds(20)));
  EXPECT_FALSE(book.Hit(kPatch, {FaultKind::kStatus}, kNow + seconds(30)));  // count spent
  EXPECT_EQ(book.List().at(0).hits, 2);

  book.Add(Parse({{"kind", "throttle"}, {"until", "1m"}}));
  EXPECT_TRUE(book.Hit(kPatch, {FaultKind::kThrottle}, kNow + seconds(59)));
  EXPECT_FALSE(book.Hit(kPatch, {FaultKind::kThrottle}, kNow + seconds(60)));  // window over
  book.Clear();
  EXPECT_TRUE(book.List().empty());
  EXPECT_EQ(book.TotalHits(), 3u);  // cleared episodes still count
}

TEST(FaultsTest, TheSameSeedHitsTheSameRequests) {
  auto pattern = [](uint64_t seed) {
    FaultBook book(seed);
    book.Add(Parse({{"kind", "status"}, {"probability", 0.5}}));
    std::string hits;
    for (int i = 0; i < 64; ++i) hits += book.Hit(kPatch, {FaultKind::kStatus}, kNow) ? 'x' : '.';
    return hits;
  };
  EXPECT_EQ(pattern(7), pattern(7));
  EXPECT_NE(pattern(7), pattern(8));
  const std::string hits = pattern(7);
  const auto count = std::count(hits.begin(), hits.end(), 'x');
  EXPECT_GT(count, 16);  // about half of 64
  EXPECT_LT(count, 48);
}

}  // namespace
}  // namespace gcsim::core
