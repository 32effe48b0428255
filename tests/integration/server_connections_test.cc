// Many connections at once: idle, slow and busy peers never starve a fresh client, a request
// that does not arrive in time is cut off, past the connection limit a client is answered, and
// Stop() closes idle connections at once. No timing assertions: each test checks that an answer
// arrives (or that a call returns) with generous limits.
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "raw_connection.h"
#include "server_fixture.h"

namespace gcsim::http::testing {
namespace {

class ServerConnectionsTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options) {
    sim_ = core::Simulator::Create({.clock = &clock_}, core::DemoWorld()).value();
    options.simulator = sim_.get();
    options.manual_clock = &clock_;
    server_ = Server::Create(std::move(options)).value();
    port_ = server_->Start().value();
  }

  // A GET of /sim/v1/health on a connection of its own, with a generous read timeout.
  Response Health() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(std::chrono::seconds(30));
    const auto result = client.Get("/sim/v1/health");
    if (!result) return {};
    return Response{result->status, result->body, result->headers};
  }

  // Waits (bounded) until the server has accepted `count` connections in all.
  bool AwaitAccepted(size_t count) const {
    return server_->AwaitAccepted(count, std::chrono::seconds(10));
  }

  ManualClock clock_;
  std::unique_ptr<core::Simulator> sim_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

TEST_F(ServerConnectionsTest, IdleAndSlowConnectionsDoNotStarveAFreshClient) {
  // Fewer workers up front than connections: each connection must get a worker of its own.
  Start({.threads = 2, .max_connections = 256});
  std::vector<std::unique_ptr<RawConnection>> peers;
  for (int i = 0; i < 100; ++i) {  // connected, never sending
    peers.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(peers.back()->connected());
  }
  for (int i = 0; i < 20; ++i) {  // half a request line, the rest never comes
    peers.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(peers.back()->Send("GET /sim/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  }
  ASSERT_TRUE(AwaitAccepted(120));

  const Response fresh = Health();
  EXPECT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(server_->connection_stats().refused, 0u);
}

TEST_F(ServerConnectionsTest, ARequestThatDoesNotArriveInTimeIsCutOff) {
  // Both bounds at their minimum; cpp-httplib's own per-read timeout (5 s) would come later.
  Start({.keep_alive_timeout = std::chrono::seconds(1),
         .request_timeout = std::chrono::seconds(1)});
  RawConnection slow(port_);
  ASSERT_TRUE(slow.Send("GET /sim/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: a"));
  // Read blocks until the server answers or closes (the connection's 30 s guard is far off).
  const Response answer = slow.Read();
  if (answer.status != 0) {
    EXPECT_EQ(answer.status, 408) << answer.body;
    EXPECT_EQ(answer.Json()["status"], 408) << answer.body;
  }
  EXPECT_TRUE(slow.ClosedByServer());
  EXPECT_EQ(server_->connection_stats().timed_out, 1u);
  EXPECT_EQ(Health().status, 200);
}

TEST_F(ServerConnectionsTest, PastTheConnectionLimitANewClientIsAnswered503) {
  Start({.max_connections = 2});
  RawConnection first(port_), second(port_);
  ASSERT_TRUE(AwaitAccepted(2));

  const Response refused = Health();
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.Header("Retry-After"), "1");
  EXPECT_EQ(refused.Json()["code"], "service.unavailable") << refused.body;
  EXPECT_EQ(server_->connection_stats().refused, 1u);
}

TEST_F(ServerConnectionsTest, StopClosesIdleKeepAliveConnectionsAtOnce) {
  // A keep-alive timeout far longer than the test's limit: Stop() must not wait for it.
  Start({.keep_alive_timeout = std::chrono::seconds(600)});
  httplib::Client client("127.0.0.1", port_);
  client.set_keep_alive(true);
  ASSERT_EQ(client.Get("/sim/v1/health")->status, 200);
  RawConnection idle(port_);
  ASSERT_TRUE(AwaitAccepted(2));

  auto stopped = std::async(std::launch::async, [&] { server_->Stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  stopped.wait();
}

}  // namespace
}  // namespace gcsim::http::testing
