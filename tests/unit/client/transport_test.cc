#include "gcsim/client/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

namespace gcsim::client {
namespace {

TEST(ClientTransportTest, ParsesBaseUrls) {
  auto url = ParseBaseUrl("https://api.mypurecloud.com");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "api.mypurecloud.com");
  EXPECT_EQ(url->port, 0);
  EXPECT_EQ(url->prefix, "");
  EXPECT_EQ(url->Origin(), "https://api.mypurecloud.com");

  url = ParseBaseUrl("HTTP://127.0.0.1:8443/gcsim/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->Origin(), "http://127.0.0.1:8443");
  EXPECT_EQ(url->prefix, "/gcsim");

  for (const char* bad : {"", "127.0.0.1:8080", "ftp://host", "http://", "http://host:0",
                          "http://host:99999", "http://host:x"}) {
    EXPECT_EQ(ParseBaseUrl(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ClientTransportTest, HeadersAreCaseInsensitive) {
  HttpResponse response;
  response.headers["ININ-Correlation-Id"] = "x";
  EXPECT_EQ(response.Header("inin-correlation-id"), "x");
  EXPECT_EQ(response.Header("Retry-After"), "");
}

// A real loopback server on an ephemeral port.
class ClientHttpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Patch("/prefix/api/v2/thing",
                  [this](const httplib::Request& req, httplib::Response& res) {
                    ++patches_;
                    remote_ports_.insert(req.remote_port);
                    res.status = 202;
                    res.set_header("ININ-Correlation-Id", "corr-" + std::to_string(patches_));
                    res.set_header("inin-ratelimit-count", std::to_string(patches_));
                    res.set_content(req.get_header_value("Content-Type") + "|" + req.body + "|" +
                                        req.get_header_value("Authorization"),
                                    "text/plain");
                  });
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(100);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  httplib::Server server_;
  int port_ = 0;
  int patches_ = 0;
  std::set<int> remote_ports_;  // one per client connection
  std::thread thread_;
};

TEST_F(ClientHttpTransportTest, SendsRequestsAndReadsResponses) {
  HttpTransport transport;
  const std::string base = "http://127.0.0.1:" + std::to_string(port_) + "/prefix/";
  HttpRequest request;
  request.method = "PATCH";
  request.target = "/api/v2/thing";
  request.headers["Content-Type"] = "application/json";
  request.headers["Authorization"] = "Bearer t";
  request.body = R"({"state":"disconnected"})";
  for (int i = 1; i <= 8; ++i) {
    auto response = transport.Send(base, request);
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 202);
    EXPECT_EQ(response->Header("inin-correlation-id"), "corr-" + std::to_string(i));
    EXPECT_EQ(response->Header("ININ-RATELIMIT-COUNT"), std::to_string(i));
    EXPECT_EQ(response->body, R"(application/json|{"state":"disconnected"}|Bearer t)");
  }
  EXPECT_EQ(remote_ports_.size(), 1u) << "requests should share one keep-alive connection";

  request.target = "/missing";
  auto missing = transport.Send(base, request);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

// A port that was just free: bound, read back, closed again, so nothing listens there.
int UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(ClientTransportTest, FailuresToConnectAreUnavailable) {
  const int port = UnusedPort();
  ASSERT_GT(port, 0);
  HttpTransport transport({.connect_timeout = std::chrono::seconds(2)});
  HttpRequest request;
  auto response = transport.Send("http://127.0.0.1:" + std::to_string(port), request);
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("Connection"), std::string::npos)
      << response.status().message();
  EXPECT_EQ(transport.Send("nonsense", request).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gcsim::client
