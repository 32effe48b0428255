// A Transport that answers from a script (one response per request, in order) and records
// every request, so tests can assert what the client sent and when.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "gcsim/client/transport.h"
#include "gcsim/common/clock.h"

namespace gcsim::client::testing {

struct SentRequest {
  std::string base_url;
  HttpRequest request;
  TimePoint at;  // on the test's clock
};

// A JSON response with the headers every Genesys response carries.
inline HttpResponse JsonResponse(int status, std::string body, Headers headers = {}) {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.headers.emplace("Content-Type", "application/json");
  static int correlation = 0;
  response.headers.emplace("ININ-Correlation-Id", "corr-" + std::to_string(++correlation));
  response.body = std::move(body);
  return response;
}

inline HttpResponse ErrorResponse(int status, const std::string& code, Headers headers = {}) {
  return JsonResponse(status,
                      R"({"message":"test error","code":")" + code + R"(","status":)" +
                          std::to_string(status) + "}",
                      std::move(headers));
}

inline HttpResponse TokenResponse(const std::string& token, int expires_in = 86400) {
  return JsonResponse(200, R"({"access_token":")" + token +
                               R"(","token_type":"bearer","expires_in":)" +
                               std::to_string(expires_in) + "}");
}

class FakeTransport final : public Transport {
 public:
  using Handler =
      std::function<Result<HttpResponse>(const std::string& base_url, const HttpRequest& request)>;

  explicit FakeTransport(const Clock& clock, Handler handler = {})
      : clock_(clock), handler_(std::move(handler)) {}

  void Push(Result<HttpResponse> response) { script_.push_back(std::move(response)); }

  Result<HttpResponse> Send(std::string_view base_url, const HttpRequest& request) override {
    sent_.push_back({std::string(base_url), request, clock_.Now()});
    if (!script_.empty()) {
      Result<HttpResponse> response = std::move(script_.front());
      script_.pop_front();
      return response;
    }
    if (handler_) return handler_(std::string(base_url), request);
    return UnavailableError("fake transport: nothing scripted for " + request.method + " " +
                            request.target);
  }

  const std::vector<SentRequest>& sent() const { return sent_; }
  size_t unused() const { return script_.size(); }

 private:
  const Clock& clock_;
  Handler handler_;
  std::deque<Result<HttpResponse>> script_;
  std::vector<SentRequest> sent_;
};

}  // namespace gcsim::client::testing
