// Many clients at once, and many requests on one keep-alive connection.
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

class ConcurrencyTest : public ServerFixture {};

TEST_F(ConcurrencyTest, ParallelReadsAndWritesAllSucceed) {
  StartServer(core::DemoWorld(), {.rate_limit = 0});
  const std::string token = Token();
  constexpr int kThreads = 4;
  constexpr int kReads = 200;
  constexpr int kWrites = 10;
  std::atomic<int> failures{0};
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto client = NewClient();
      const auto expect = [&](const Response& response, int status) {
        if (response.status != status) ++failures;
        ids[t].push_back(response.Header("ININ-Correlation-Id"));
      };
      for (int i = 0; i < kReads; ++i) {
        const std::string path = i % 2 == 0 ? "/api/v2/conversations/" + kConversationId
                                            : "/api/v2/conversations/calls/" + kConversationId;
        expect(Send(*client, "GET", path, "", Auth(token)), 200);
        if (i % (kReads / kWrites) != 0) continue;
        // Threads 0-2 each toggle the mute of their own leg, so every write changes something
        // (202); thread 3 reads the bulk media view meanwhile.
        const int write = i / (kReads / kWrites);
        if (t < 3) {
          const std::string& pid = t == 0 ? kCustomerId : t == 1 ? kAgentId : kSupervisorId;
          const std::string body = write % 2 == 0 ? R"({"muted":true})" : R"({"muted":false})";
          expect(Send(*client, "PATCH", GenericParticipantPath(kConversationId, pid), body,
                      JsonAuth(token)),
                 202);
        } else {
          expect(Send(*client, "GET", "/sim/v1/media?silentFor=0s"), 200);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);

  // Every response had its own correlation id, and every request is in the journal.
  std::set<std::string> unique;
  size_t total = 0;
  for (const auto& list : ids) {
    unique.insert(list.begin(), list.end());
    total += list.size();
  }
  EXPECT_EQ(unique.size(), total);
  EXPECT_EQ(Journal().size(), total + 1);  // and the token request

  // The world is still the same bridge, every leg live.
  const json state = State();
  ASSERT_EQ(state["conversations"].size(), 1u);
  for (const json& leg : state["conversations"][0]["participants"]) {
    EXPECT_EQ(leg["state"], "connected");
  }
}

// Keep-alive holds: a thousand requests on one client are one connection (cpp-httplib's default
// closes a connection every 5 requests). The time is reported, never asserted.
TEST_F(ConcurrencyTest, ManySequentialKeepAliveRequests) {
  constexpr int kRequests = 1000;
  auto client = NewClient();
  const size_t before = server_->connection_stats().accepted;
  RealClock wall;
  const TimePoint start = wall.Now();
  for (int i = 0; i < kRequests; ++i) ASSERT_EQ(Send(*client, "GET", "/sim/v1/health").status, 200);
  const Duration elapsed = wall.Now() - start;
  EXPECT_EQ(server_->connection_stats().accepted - before, 1u);
  RecordProperty("keep_alive_1000_gets_ms", static_cast<int>(elapsed.count()));
  std::cout << kRequests << " keep-alive GETs on one connection: " << elapsed.count() << " ms\n";
}

// The counter the keep-alive test relies on does count: without keep-alive, every request is a
// connection of its own.
TEST_F(ConcurrencyTest, EachConnectionWithoutKeepAliveIsCounted) {
  auto client = NewClient();
  client->set_keep_alive(false);
  const size_t before = server_->connection_stats().accepted;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Send(*client, "GET", "/sim/v1/health").status, 200);
  EXPECT_EQ(server_->connection_stats().accepted - before, 3u);
}

TEST_F(ConcurrencyTest, StopWithRequestsInFlightIsClean) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      auto client = NewClient();
      client->set_keep_alive(false);
      while (!stop) Send(*client, "GET", "/sim/v1/state");
    });
  }
  for (int i = 0; i < 50; ++i) ASSERT_EQ(Get("/sim/v1/health").status, 200);
  client_.reset();
  server_->Stop();
  server_->Stop();  // idempotent
  stop = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(server_->Start().ok(), false) << "a server starts once";
}

}  // namespace
}  // namespace gcsim::http::testing
