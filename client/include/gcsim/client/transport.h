// How the client reaches HTTP: one small interface, so tests script responses and the rest of
// the client never sees a socket. HttpTransport is the only code that includes <httplib.h>.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "gcsim/common/status.h"
#include "gcsim/common/time.h"

namespace gcsim::client {

// HTTP header names compare without regard to case ("Retry-After" == "retry-after").
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PATCH, PUT, DELETE
  std::string target;          // path and query, e.g. "/sim/v1/media?pageNumber=1"
  Headers headers;             // Content-Type goes here too
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // The header's value, or "" when absent.
  std::string Header(std::string_view name) const;
};

// Implementations must be safe to call from several threads at once.
class Transport {
 public:
  virtual ~Transport() = default;

  // Sends `request` to `base_url` ("https://api.mypurecloud.com", "http://127.0.0.1:8080",
  // optionally with a path prefix). Any HTTP status is a response; only a failure to get one
  // (refused, reset, timed out, bad URL) is an error: kUnavailable, or kInvalidArgument for a
  // URL that can never work.
  virtual Result<HttpResponse> Send(std::string_view base_url, const HttpRequest& request) = 0;
  // Ends the requests in flight at once (they fail with kUnavailable) and fails every later one
  // unsent: for a prompt stop. May be called from any thread; cannot be undone.
  virtual void Cancel() {}
};

struct HttpTransportOptions {
  // Time allowed to open a connection (TCP and TLS).
  Duration connect_timeout = std::chrono::seconds(5);
  // Time allowed for each read and write on an open connection.
  Duration io_timeout = std::chrono::seconds(30);
  // Verify https server certificates against the system store. Off only for test servers.
  bool verify_certificates = true;
};

// cpp-httplib underneath: one keep-alive connection per base URL, Nagle off (without it each
// response stalls ~40 ms on delayed ACKs). Thread-safe: requests to the same base URL are
// serialised on its connection, different base URLs proceed in parallel.
class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(HttpTransportOptions options = {});
  ~HttpTransport() override;
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  Result<HttpResponse> Send(std::string_view base_url, const HttpRequest& request) override;
  void Cancel() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "https://host:8443/prefix/" into origin "https://host:8443" and path prefix "/prefix".
struct BaseUrl {
  std::string scheme;  // "http" or "https"
  std::string host;
  int port = 0;        // 0 when the URL names none
  std::string prefix;  // "" or "/something", never a trailing slash

  std::string Origin() const;
};
Result<BaseUrl> ParseBaseUrl(std::string_view url);

}  // namespace gcsim::client
