// A Genesys Cloud Platform API v2 client: OAuth client credentials, retries that honour
// Retry-After and back off on 5xx, a rate budget read from the inin-ratelimit-* headers, and
// the typed calls the reaper needs. Works against real regions and against gcsim.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gcsim/client/logger.h"
#include "gcsim/client/models.h"
#include "gcsim/client/transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/status.h"
#include "gcsim/common/time.h"

namespace gcsim::client {

struct ApiClientOptions {
  // Base URL of the API: "https://api.mypurecloud.com", or gcsim's "http://127.0.0.1:8080".
  std::string api_url = "http://127.0.0.1:8080";
  // Base URL of the OAuth server; "" derives it from api_url (see DeriveLoginUrl).
  std::string login_url;
  // OAuth client-credentials pair.
  std::string client_id;
  std::string client_secret;
  // Retries after the first attempt, for 429, 5xx and transport errors (a 401 refresh is extra).
  int max_retries = 4;
  // Backoff before retry n (from 0) is min(cap, base * 2^n), of which the upper half is jitter.
  Duration backoff_base = std::chrono::milliseconds(500);
  Duration backoff_cap = std::chrono::seconds(30);
  // Seeds the jitter, so runs on a ManualClock repeat exactly.
  uint64_t jitter_seed = 1;
  // Results per page for the analytics query (the API allows at most 100).
  int analytics_page_size = 100;
  // Results per page for gcsim's media view.
  int media_page_size = 1000;
};

// "https://api.mypurecloud.ie" -> "https://login.mypurecloud.ie"; a host not starting with
// "api." (local gcsim) serves its own /oauth/token, so the API URL is returned unchanged.
std::string DeriveLoginUrl(std::string_view api_url);

// The StatusCode a final HTTP error maps to: 400 invalid argument, 401 unauthenticated,
// 403 permission denied, 404 not found, 429 resource exhausted, 5xx unavailable, other 4xx
// failed precondition.
StatusCode StatusCodeForHttp(int http_status);

// Cumulative, since the client was made.
struct ApiCounters {
  uint64_t requests = 0;      // HTTP requests handed to the transport, token fetches included
  uint64_t rate_limited = 0;  // 429 responses seen
  uint64_t retries = 0;       // requests sent again after a 429, 5xx, transport error or 401
  uint64_t token_fetches = 0;
};

// Thread-compatible: one thread at a time may call it (the reaper's daemon or the scenario
// runner); counters() may be read from any thread. Does not own the clock, transport or
// logger, which must outlive it. Every wait (Retry-After, backoff, pacing) is a
// clock.WaitUntil, so on a ManualClock it costs no wall time.
class ApiClient {
 public:
  // `logger` may be null: nothing is logged.
  ApiClient(ApiClientOptions options, Clock& clock, Transport& transport, Logger* logger = nullptr);
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Fetches a fresh token now (calls below fetch and refresh one on their own).
  Status FetchToken();

  // Sends one request to the API with a bearer token, pacing, retries and a refresh on 401,
  // and returns the final response whatever its status. Only a failure to get any response
  // (or a token) is an error. For callers that need the raw exchange.
  Result<HttpResponse> Execute(HttpRequest request);

  // Conversations started in [start, end] and not ended, with their open segments: the
  // analytics details query, every page.
  Result<std::vector<AnalyticsConversation>> QueryLiveConversations(TimePoint start, TimePoint end);

  // GET /api/v2/conversations/calls/{cid}.
  Result<CallConversation> GetCallConversation(const std::string& conversation_id);

  // PATCH /api/v2/conversations/{cid}/participants/{pid} with `json_body`
  // (a MediaParticipantRequest such as {"state":"disconnected"}).
  Result<PatchReply> PatchParticipant(const std::string& conversation_id,
                                      const std::string& participant_id,
                                      const std::string& json_body);

  // gcsim's GET /sim/v1/media?silentFor=..., every page: legs whose media flows and that have
  // been silent at least `silent_for`.
  Result<std::vector<MediaLeg>> ListSilentMedia(Duration silent_for);

  ApiCounters counters() const;
  const ApiClientOptions& options() const { return options_; }
  const std::string& login_url() const { return login_url_; }

 private:
  // Sends to `base_url` with retries; `authenticated` adds the bearer token and allows one
  // refresh on 401.
  Result<HttpResponse> Send(const std::string& base_url, HttpRequest request, bool authenticated);
  Status EnsureToken();
  // Waits out an exhausted rate budget before the next request.
  void Pace();
  void ReadRateBudget(const HttpResponse& response);
  Duration Backoff(int retry);
  void Log(LogLevel level, std::string_view event, LogFields fields);

  const ApiClientOptions options_;
  const std::string login_url_;
  Clock& clock_;
  Transport& transport_;
  Logger* const logger_;

  std::string token_;
  TimePoint token_refresh_at_{};          // refresh ahead of expiry from here on
  std::optional<TimePoint> paced_until_;  // budget spent: no request before this
  std::mt19937_64 jitter_;

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> rate_limited_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> token_fetches_{0};
};

}  // namespace gcsim::client
