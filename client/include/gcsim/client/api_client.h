// A Genesys Cloud Platform API v2 client: OAuth client credentials, retries that honour
// Retry-After (429, and 5xx that send it) and back off on other 5xx, a rate budget read from the inin-ratelimit-* headers, and
// the typed calls the reaper needs. Works against real regions and against gcsim.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "gcsim/client/logger.h"
#include "gcsim/client/models.h"
#include "gcsim/client/server_time.h"
#include "gcsim/client/transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/status.h"
#include "gcsim/common/time.h"

namespace gcsim::client {

class Fanout;

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
  // Number every request in an X-Gcsim-Order header, in the order the client decided to send
  // them: a gcsim that orders requests (the scenario harness, with a reaper's concurrency above
  // 1) then serves requests sent at once in that order, so that its journal is the same run
  // after run.
  bool number_requests = false;
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
  // Times the client waited on the clock (pacing, Retry-After, backoff). Anything read before
  // this number last moved may be out of date.
  uint64_t waits = 0;
  // Calls that failed for good: still a 429, a 5xx or no answer once retries were spent (or
  // not allowed), or refused without sending because the rate budget was spent.
  uint64_t failed = 0;
};

// Whether a call may wait on the clock: pace itself on a spent rate budget, honour Retry-After,
// back off after a 5xx or a transport error, or send again after refreshing a rejected token.
enum class WaitPolicy {
  kMayWait,
  // At most one send, and none when the budget is known to be spent: a call whose meaning
  // depends on what the caller read just before (a drop) fails rather than goes out late.
  kNever,
};

// Thread-compatible: one thread at a time may call it (the reaper's daemon or the scenario
// runner); counters() may be read from any thread. Does not own the clock, transport or
// logger, which must outlive it. Every wait (Retry-After, backoff, pacing) is a
// clock.WaitUntil, so on a ManualClock it costs no wall time.
// The reason of every error a stopped client returns.
inline constexpr std::string_view kStoppedReason = "client.stopped";

class ApiClient {
 public:
  // `logger` may be null: nothing is logged.
  ApiClient(ApiClientOptions options, Clock& clock, Transport& transport, Logger* logger = nullptr);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Fetches a fresh token now (calls below fetch and refresh one on their own).
  Status FetchToken();

  // Waits out a rate budget known to be spent and fetches a token if one is due, so that the
  // next API request can go at once. A caller about to read something and act on it calls this
  // first, so that the wait comes before the read rather than between the read and the act.
  Status WaitUntilReady();

  // Sends one request to the API with a bearer token, pacing, retries and a refresh on 401
  // (as `waits` allows), and returns the final response whatever its status. Only a failure to
  // get any response (or a token) is an error. For callers that need the raw exchange.
  Result<HttpResponse> Execute(HttpRequest request, WaitPolicy waits = WaitPolicy::kMayWait);

  // Conversations started in [start, end] and not ended, with their open segments: the
  // analytics details query, every page. A `conversation_id` narrows it to that conversation
  // (one page, one request).
  Result<std::vector<AnalyticsConversation>> QueryLiveConversations(
      TimePoint start, TimePoint end, const std::string& conversation_id = "");

  // GET /api/v2/conversations/calls/{cid}.
  Result<CallConversation> GetCallConversation(const std::string& conversation_id);
  // The same for each id, answers in the order of the ids, up to `concurrency` requests at once
  // (each over a connection of its own) as far as the known rate budget allows. A request of a
  // batch that gets a 401, a 429, a 5xx or no answer is sent again alone, with the retries of
  // GetCallConversation, once the batch is in.
  std::vector<Result<CallConversation>> GetCallConversations(const std::vector<std::string>& ids,
                                                             int concurrency);

  // PATCH /api/v2/conversations/{cid}/participants/{pid} with `json_body`
  // (a MediaParticipantRequest such as {"state":"disconnected"}).
  Result<PatchReply> PatchParticipant(const std::string& conversation_id,
                                      const std::string& participant_id,
                                      const std::string& json_body,
                                      WaitPolicy waits = WaitPolicy::kMayWait);

  // gcsim's GET /sim/v1/media?silentFor=..., every page: legs whose media flows and that have
  // been silent at least `silent_for`.
  Result<std::vector<MediaLeg>> ListSilentMedia(Duration silent_for);

  // gcsim's GET /sim/v1/conversations/{cid}/participants/{pid}/media: one leg's media now.
  // kNotFound when the leg is not in that conversation.
  Result<MediaLeg> GetLegMedia(const std::string& conversation_id,
                               const std::string& participant_id);

  // Ends the client's waits and requests in flight at once, and fails every later call unsent
  // (kUnavailable, reason kStoppedReason), so that a program can exit promptly on a signal.
  // May be called from any thread; cannot be undone.
  void Stop();
  bool stopped() const { return stop_.stop_requested(); }

  ApiCounters counters() const;
  // The server's clock against ours, as the answers so far showed it.
  const ServerTime& server_time() const { return server_time_; }
  const ApiClientOptions& options() const { return options_; }
  const std::string& login_url() const { return login_url_; }

 private:
  // Sends to `base_url` with retries; `authenticated` adds the bearer token, allows one
  // refresh on 401 and counts against the API's rate budget (the login server and gcsim's
  // control plane are not charged to it, so they neither pace nor move the budget).
  Result<HttpResponse> Send(const std::string& base_url, HttpRequest request, bool authenticated,
                            WaitPolicy waits = WaitPolicy::kMayWait);
  Status FetchToken(WaitPolicy waits);
  Status EnsureToken(WaitPolicy waits);
  // Waits out an exhausted rate budget before the next request; with kNever, says whether
  // the budget allows a request now instead of waiting.
  bool Pace(WaitPolicy waits);
  void ReadRateBudget(const HttpResponse& response);
  // What the call of a GET of a conversation makes of its answer.
  Result<CallConversation> ReadCallConversation(const HttpRequest& request,
                                                Result<HttpResponse> response);
  // One request on the transport; its answer's Date tells where the server's clock stands.
  Result<HttpResponse> Transmit(std::string_view base_url, const HttpRequest& request);
  // Adds the X-Gcsim-Order header when the client numbers its requests.
  void Number(HttpRequest& request);
  Duration Backoff(int retry);
  // Every wait on the clock goes through here, so that `waits` counts them all.
  void Wait(TimePoint until);
  void Log(LogLevel level, std::string_view event, LogFields fields);

  const ApiClientOptions options_;
  const std::string login_url_;
  Clock& clock_;
  Transport& transport_;
  Logger* const logger_;

  std::string token_;
  TimePoint token_refresh_at_{};          // refresh ahead of expiry from here on
  std::optional<TimePoint> paced_until_;  // budget spent: no request before this
  std::optional<int64_t> budget_left_;    // requests the last inin-ratelimit headers allowed
  uint64_t numbered_ = 0;                 // the last X-Gcsim-Order sent
  std::unique_ptr<Fanout> fanout_;         // made for the first batch
  std::mt19937_64 jitter_;
  std::stop_source stop_;
  ServerTime server_time_;

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> rate_limited_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> token_fetches_{0};
  std::atomic<uint64_t> waits_{0};
  std::atomic<uint64_t> failed_{0};
};

}  // namespace gcsim::client
