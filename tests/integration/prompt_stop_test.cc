// SIGTERM ends `reaper` and `gcsim serve` promptly in the states where they used to hang: a
// reaper waiting out a long Retry-After, a reaper mid-request against a server that never
// answers, a server holding an idle keep-alive connection. The binaries run as a user runs them;
// each test checks that the process exits (with a generous limit) and prints its summary.
#include <signal.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include "child_process.h"
#include "raw_connection.h"

namespace gcsim {
namespace {

using testing::Child;
using testing::ReadAll;
using testing::ReadLine;
using testing::Spawn;
using testing::WaitAtMost;

constexpr auto kExitLimit = std::chrono::seconds(30);

// A stand-in Genesys API on port 0 whose API routes answer as `api` says; the token endpoint
// always grants a token.
class FakeApi {
 public:
  explicit FakeApi(httplib::Server::Handler api) {
    http_.Post("/oauth/token", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"access_token":"t","token_type":"bearer","expires_in":86400})",
                      "application/json");
    });
    http_.Get(".*", std::move(api));
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::yield();  // stop() needs the loop running
  }
  ~FakeApi() {
    http_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server http_;
  int port_ = 0;
  std::thread thread_;
};

Child StartReaper(const std::string& url, bool once) {
  std::vector<std::string> args = {"--api-url", url, "--client-id", "c", "--client-secret", "s",
                                   "--activity", "sim"};
  if (once) args.push_back("--once");
  return Spawn(GCSIM_REAPER_BINARY, args);
}

// Reads the child's log until a line contains `what` (or the log ends); returns what it read.
std::string ReadLogUntil(const Child& child, const std::string& what) {
  std::string log;
  for (std::string line; !(line = ReadLine(child.err)).empty();) {
    log += line + "\n";
    if (line.find(what) != std::string::npos) break;
  }
  return log;
}

TEST(PromptStopTest, ReaperWaitingOutARetryAfterStopsOnSigterm) {
  FakeApi api([](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "3600");
    res.set_content(R"({"message":"Rate limit exceeded","code":"too.many.requests.retry.after","status":429})",
                    "application/json");
  });
  Child reaper = StartReaper(api.url(), /*once=*/false);
  const std::string log = ReadLogUntil(reaper, "retry");
  ASSERT_NE(log.find("429"), std::string::npos) << log;  // now waiting out the hour

  kill(reaper.pid, SIGTERM);
  const std::string summary = ReadAll(reaper.out);
  const auto status = WaitAtMost(reaper, kExitLimit);
  ASSERT_TRUE(status.has_value()) << "reaper still running " << kExitLimit.count() << "s after SIGTERM";
  EXPECT_NE(*status, -1);
  EXPECT_NE(summary.find("reaper summary"), std::string::npos) << summary;
}

TEST(PromptStopTest, ReaperMidRequestToAHungServerStopsOnSigterm) {
  std::promise<void> asked;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  FakeApi api([&](const httplib::Request&, httplib::Response& res) {
    if (first.exchange(false)) asked.set_value();
    released.wait();  // never answers until the test ends
    res.status = 503;
  });
  Child reaper = StartReaper(api.url(), /*once=*/true);
  ASSERT_EQ(asked.get_future().wait_for(kExitLimit), std::future_status::ready);

  kill(reaper.pid, SIGTERM);
  const std::string summary = ReadAll(reaper.out);
  const auto status = WaitAtMost(reaper, kExitLimit);
  release.set_value();
  ASSERT_TRUE(status.has_value()) << "reaper still running " << kExitLimit.count() << "s after SIGTERM";
  EXPECT_NE(*status, -1);
  EXPECT_NE(summary.find("reaper summary"), std::string::npos) << summary;
}

TEST(PromptStopTest, ServeWithAnIdleKeepAliveConnectionStopsOnSigterm) {
  Child serve = Spawn(GCSIM_BINARY, {"serve", "--port", "0", "--keep-alive-timeout", "600s"});
  const std::string address = ReadLine(serve.out);
  const auto colon = address.rfind(':');
  ASSERT_NE(address.find("listening on"), std::string::npos) << address;
  const int port = std::stoi(address.substr(colon + 1));
  http::testing::RawConnection idle(port);
  const auto health =
      idle.Exchange("GET /sim/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");  // now kept alive
  ASSERT_EQ(health.status, 200);

  kill(serve.pid, SIGTERM);
  const auto status = WaitAtMost(serve, kExitLimit);
  ASSERT_TRUE(status.has_value()) << "gcsim serve still running " << kExitLimit.count() << "s after SIGTERM";
  EXPECT_EQ(*status, 0);
}

}  // namespace
}  // namespace gcsim
