#include "gcsim/client/api_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "gcsim/common/routes.h"
#include "gcsim/common/strings.h"
#include "fanout.h"
#include "json_models.h"

namespace gcsim::client {
namespace {

constexpr std::string_view kCorrelationHeader = "ININ-Correlation-Id";

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t chunk = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) chunk |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) chunk |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

// Ids go into paths verbatim when safe (UUIDs always are), percent-encoded otherwise.
std::string EncodeSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : segment) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// A non-negative decimal number of seconds ("42", "0.5"), as in Retry-After and
// inin-ratelimit-reset. HTTP-date Retry-After values are not used by Genesys.
std::optional<Duration> ParseSeconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || !(seconds >= 0) ||
      seconds > 86400.0 * 365) {
    return std::nullopt;
  }
  return Duration(static_cast<int64_t>(std::ceil(seconds * 1000)));
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

// A final non-2xx response as a Status: the Genesys error code becomes the reason, so callers
// can tell "conversation.error.call.disconnected" from other 400s.
Status ErrorFromResponse(const HttpRequest& request, const HttpResponse& response) {
  const ErrorInfo info = ParseErrorInfo(response.body);
  std::string message =
      request.method + " " + request.target + ": HTTP " + std::to_string(response.status);
  if (!info.code.empty()) message += " " + info.code;
  if (!info.message.empty()) message += ": " + info.message;
  const std::string correlation = response.Header(kCorrelationHeader);
  if (!correlation.empty()) message += " (correlation id " + correlation + ")";
  return Status(StatusCodeForHttp(response.status), std::move(message), info.code);
}

// Adds the request and correlation id to a parse error.
Status ParseError(const Status& status, const HttpRequest& request, const HttpResponse& response) {
  return Status(status.code(),
                request.method + " " + request.target + ": " + status.message() +
                    " (correlation id " + response.Header(kCorrelationHeader) + ")",
                status.reason());
}

HttpRequest JsonRequest(std::string method, std::string target, std::string body = {}) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers["Accept"] = "application/json";
  if (!body.empty()) request.headers["Content-Type"] = "application/json";
  request.body = std::move(body);
  return request;
}

}  // namespace

std::string DeriveLoginUrl(std::string_view api_url) {
  const size_t sep = api_url.find("://");
  const size_t host = sep == std::string_view::npos ? 0 : sep + 3;
  if (api_url.substr(host, 4) != "api.") return std::string(api_url);
  std::string login(api_url);
  login.replace(host, 4, "login.");
  return login;
}

StatusCode StatusCodeForHttp(int http_status) {
  switch (http_status) {
    case 400:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 429:
      return StatusCode::kResourceExhausted;
    default:
      break;
  }
  if (http_status >= 500) return StatusCode::kUnavailable;
  if (http_status >= 400) return StatusCode::kFailedPrecondition;
  return StatusCode::kOk;
}

ApiClient::ApiClient(ApiClientOptions options, Clock& clock, Transport& transport, Logger* logger)
    : options_(std::move(options)),
      login_url_(options_.login_url.empty() ? DeriveLoginUrl(options_.api_url)
                                            : options_.login_url),
      clock_(clock),
      transport_(transport),
      logger_(logger),
      jitter_(options_.jitter_seed) {}

ApiClient::~ApiClient() = default;

ApiCounters ApiClient::counters() const {
  return ApiCounters{requests_.load(),      rate_limited_.load(), retries_.load(),
                     token_fetches_.load(), waits_.load(),        failed_.load()};
}

void ApiClient::Log(LogLevel level, std::string_view event, LogFields fields) {
  if (logger_ != nullptr) logger_->Log(level, event, fields);
}

Status ApiClient::FetchToken() { return FetchToken(WaitPolicy::kMayWait); }

Status ApiClient::FetchToken(WaitPolicy waits) {
  HttpRequest request;
  request.method = "POST";
  request.target = routes::kOAuthToken;
  request.headers["Authorization"] =
      "Basic " + Base64(options_.client_id + ":" + options_.client_secret);
  request.headers["Content-Type"] = "application/x-www-form-urlencoded";
  request.headers["Accept"] = "application/json";
  request.body = "grant_type=client_credentials";

  ++token_fetches_;
  const TimePoint asked_at = clock_.Now();
  Result<HttpResponse> response = Send(login_url_, request, /*authenticated=*/false, waits);
  if (!response.ok()) return response.status();
  if (!IsSuccess(response->status)) return ErrorFromResponse(request, *response);
  Result<TokenReply> reply = ParseTokenReply(response->body);
  if (!reply.ok()) return ParseError(reply.status(), request, *response);

  // Refresh ahead of expiry: 10% of the lifetime or 60 s, whichever is more, but never more
  // than half of it, so short test lifetimes still get used.
  const Duration lifetime = reply->expires_in;
  const Duration margin =
      std::min<Duration>(std::max<Duration>(lifetime / 10, std::chrono::seconds(60)), lifetime / 2);
  token_ = std::move(reply->access_token);
  token_refresh_at_ = asked_at + lifetime - margin;
  Log(LogLevel::kInfo, "token",
      {{"expires_in", FormatDuration(lifetime)},
       {"refresh_at", FormatIso8601(token_refresh_at_)},
       {"correlation", response->Header(kCorrelationHeader)}});
  return Status::Ok();
}

Status ApiClient::EnsureToken(WaitPolicy waits) {
  if (!token_.empty() && clock_.Now() < token_refresh_at_) return Status::Ok();
  return FetchToken(waits);
}

Status ApiClient::WaitUntilReady() {
  Pace(WaitPolicy::kMayWait);
  return EnsureToken(WaitPolicy::kMayWait);
}

void ApiClient::Wait(TimePoint until) {
  ++waits_;
  clock_.WaitUntil(until, stop_.get_token());
}

void ApiClient::Stop() {
  stop_.request_stop();
  transport_.Cancel();
}

bool ApiClient::Pace(WaitPolicy waits) {
  if (!paced_until_) return true;
  if (clock_.Now() < *paced_until_) {
    if (waits == WaitPolicy::kNever) return false;
    Log(LogLevel::kInfo, "rate_budget_wait", {{"until", FormatIso8601(*paced_until_)}});
    Wait(*paced_until_);
  }
  paced_until_.reset();
  return true;
}

void ApiClient::ReadRateBudget(const HttpResponse& response) {
  const auto count = ParseInteger(response.Header("inin-ratelimit-count"));
  const auto allowed = ParseInteger(response.Header("inin-ratelimit-allowed"));
  const auto reset = ParseSeconds(response.Header("inin-ratelimit-reset"));
  if (!count || !allowed || !reset || *allowed <= 0) return;
  budget_left_ = std::max<int64_t>(*allowed - *count, 0);
  if (*count >= *allowed) {
    paced_until_ = clock_.Now() + *reset;
  } else {
    paced_until_.reset();
  }
}

Duration ApiClient::Backoff(int retry) {
  const int64_t base = std::max<int64_t>(options_.backoff_base.count(), 1);
  const int64_t cap = std::max<int64_t>(options_.backoff_cap.count(), base);
  const int64_t ceiling = retry >= 30 ? cap : std::min(cap, base << retry);
  // Equal jitter: half fixed, half random, so clients that failed together spread out.
  std::uniform_int_distribution<int64_t> jitter(0, ceiling / 2);
  return Duration(ceiling - ceiling / 2 + jitter(jitter_));
}

Result<HttpResponse> ApiClient::Send(const std::string& base_url, HttpRequest request,
                                     bool authenticated, WaitPolicy waits) {
  const std::string what = request.method + " " + request.target;
  const bool may_wait = waits == WaitPolicy::kMayWait;
  bool refreshed = false;
  for (int retry = 0;;) {
    if (stopped()) {
      return Status(StatusCode::kUnavailable, what + ": not sent, the client is stopping",
                    std::string(kStoppedReason));
    }
    if (authenticated) {
      if (Status status = EnsureToken(waits); !status.ok()) return status;
      request.headers["Authorization"] = "Bearer " + token_;
      if (!Pace(waits)) {
        ++failed_;
        return Status(StatusCode::kResourceExhausted,
                      what + ": rate budget spent until " + FormatIso8601(*paced_until_) +
                          "; not sent, as this request may not wait",
                      "rate.budget.spent");
      }
    }
    ++requests_;
    Number(request);
    Result<HttpResponse> result = Transmit(base_url, request);
    if (!result.ok() && stopped()) continue;  // cancelled: answered at the top of the loop
    if (!result.ok()) {
      // A bad URL (kInvalidArgument) will never work; anything else may on a later try.
      if (result.status().code() != StatusCode::kUnavailable || retry >= options_.max_retries ||
          !may_wait) {
        ++failed_;
        return result.status();
      }
      const Duration wait = Backoff(retry);
      Log(LogLevel::kWarn, "retry",
          {{"request", what},
           {"error", result.status().message()},
           {"wait", FormatDuration(wait)}});
      Wait(clock_.Now() + wait);
      ++retry;
      ++retries_;
      continue;
    }

    const HttpResponse& response = *result;
    if (authenticated) ReadRateBudget(response);
    const std::string correlation = response.Header(kCorrelationHeader);
    Log(LogLevel::kDebug, "http",
        {{"request", what},
         {"status", std::to_string(response.status)},
         {"correlation", correlation}});

    if (response.status == 401 && authenticated && !refreshed) {
      // The token may have been revoked or expired early: one fresh token, one more try (for
      // the next call only, when this one may not wait).
      Log(LogLevel::kWarn, "token_rejected", {{"request", what}, {"correlation", correlation}});
      token_.clear();
      if (!may_wait) return result;
      refreshed = true;
      ++retries_;
      continue;
    }
    std::optional<Duration> wait;
    if (response.status == 429) {
      ++rate_limited_;
      wait = ParseSeconds(response.Header("Retry-After"));
      if (!wait) wait = ParseSeconds(response.Header("inin-ratelimit-reset"));
      if (!wait) wait = Backoff(retry);
      // The budget is spent until then: the next request of any kind waits for it too.
      if (authenticated) paced_until_ = clock_.Now() + *wait;
    } else if (response.status >= 500) {
      // A service that says when to come back (a 503 with Retry-After) is taken at its word.
      wait = ParseSeconds(response.Header("Retry-After"));
      if (!wait) wait = Backoff(retry);
    }
    if (!wait) return result;
    if (retry >= options_.max_retries || !may_wait) {
      ++failed_;
      return result;
    }
    Log(LogLevel::kWarn, "retry",
        {{"request", what},
         {"status", std::to_string(response.status)},
         {"wait", FormatDuration(*wait)},
         {"correlation", correlation}});
    Wait(clock_.Now() + *wait);
    ++retry;
    ++retries_;
  }
}

Result<HttpResponse> ApiClient::Transmit(std::string_view base_url, const HttpRequest& request) {
  Result<HttpResponse> response = transport_.Send(base_url, request);
  if (response.ok()) {
    // A server without a Date, or with one in another form, leaves the clocks as they stood.
    if (const Result<TimePoint> date = ParseHttpDate(response->Header("Date")); date.ok()) {
      server_time_.Observe(*date, clock_.Now());
    }
  }
  return response;
}

void ApiClient::Number(HttpRequest& request) {
  if (options_.number_requests) request.headers["X-Gcsim-Order"] = std::to_string(++numbered_);
}

Result<HttpResponse> ApiClient::Execute(HttpRequest request, WaitPolicy waits) {
  return Send(options_.api_url, std::move(request), /*authenticated=*/true, waits);
}

Result<std::vector<AnalyticsConversation>> ApiClient::QueryLiveConversations(
    TimePoint start, TimePoint end, const std::string& conversation_id) {
  using nlohmann::ordered_json;
  const auto predicate = [](const char* dimension, const char* op, const std::string& value) {
    ordered_json p = {{"type", "dimension"}, {"dimension", dimension}, {"operator", op}};
    if (!value.empty()) p["value"] = value;
    return p;
  };
  ordered_json conversation_predicates =
      ordered_json::array({predicate("conversationEnd", "notExists", "")});
  if (!conversation_id.empty()) {
    conversation_predicates.push_back(predicate("conversationId", "matches", conversation_id));
  }
  const ordered_json conversation_filters =
      ordered_json::array({{{"type", "and"}, {"predicates", conversation_predicates}}});
  const ordered_json segment_filters = ordered_json::array(
      {{{"type", "and"},
        {"predicates", ordered_json::array({predicate("segmentEnd", "notExists", "")})}}});
  std::vector<AnalyticsConversation> conversations;
  for (int page_number = 1;; ++page_number) {
    const ordered_json query = {
        {"interval", FormatIso8601(start) + "/" + FormatIso8601(end)},
        {"order", "asc"},
        {"orderBy", "conversationStart"},
        {"paging", {{"pageSize", options_.analytics_page_size}, {"pageNumber", page_number}}},
        {"conversationFilters", conversation_filters},
        {"segmentFilters", segment_filters},
    };
    const HttpRequest request =
        JsonRequest("POST", std::string(routes::kConversationDetailsQuery), query.dump());
    Result<HttpResponse> response = Execute(request);
    if (!response.ok()) return response.status();
    if (!IsSuccess(response->status)) return ErrorFromResponse(request, *response);
    Result<AnalyticsPage> page = ParseAnalyticsPage(response->body);
    if (!page.ok()) return ParseError(page.status(), request, *response);
    for (auto& conversation : page->conversations) conversations.push_back(std::move(conversation));
    // An empty page also stops: totalHits may shrink while we page.
    if (page->conversations.empty() ||
        conversations.size() >= static_cast<size_t>(std::max(page->total_hits, 0))) {
      return conversations;
    }
  }
}

Result<CallConversation> ApiClient::GetCallConversation(const std::string& conversation_id) {
  const HttpRequest request =
      JsonRequest("GET", routes::FillPath(routes::kCall, {EncodeSegment(conversation_id)}));
  return ReadCallConversation(request, Execute(request));
}

std::vector<Result<CallConversation>> ApiClient::GetCallConversations(
    const std::vector<std::string>& ids, int concurrency) {
  std::vector<std::optional<Result<CallConversation>>> answers(ids.size());
  const size_t width = static_cast<size_t>(std::max(concurrency, 1));
  for (size_t first = 0; first < ids.size();) {
    size_t batch = std::min(width, ids.size() - first);
    // No more at once than the budget allows, so that a batch does not earn itself 429s.
    if (budget_left_) batch = std::min<size_t>(batch, std::max<int64_t>(*budget_left_, 1));
    if (batch > 1 && !stopped() && WaitUntilReady().ok() && !paced_until_) {
      std::vector<HttpRequest> requests;
      std::vector<Result<HttpResponse>> responses(batch, Status(StatusCode::kUnavailable, ""));
      std::vector<std::function<void()>> sends;
      for (size_t i = 0; i < batch; ++i) {
        HttpRequest& request = requests.emplace_back(
            JsonRequest("GET", routes::FillPath(routes::kCall, {EncodeSegment(ids[first + i])})));
        request.headers["Authorization"] = "Bearer " + token_;
        Number(request);
        ++requests_;
      }
      for (size_t i = 0; i < batch; ++i) {
        sends.push_back([this, &requests, &responses, i] {
          responses[i] = Transmit(options_.api_url, requests[i]);
        });
      }
      if (!fanout_) fanout_ = std::make_unique<Fanout>(width - 1);
      fanout_->Run(sends);
      for (size_t i = 0; i < batch; ++i) {
        if (!responses[i].ok()) continue;
        ReadRateBudget(*responses[i]);
        const int status = responses[i]->status;
        Log(LogLevel::kDebug, "http",
            {{"request", "GET " + requests[i].target},
             {"status", std::to_string(status)},
             {"correlation", responses[i]->Header(kCorrelationHeader)}});
        if (status == 401 || status == 429 || status >= 500) {
          if (status == 429) ++rate_limited_;
          if (status == 401) token_.clear();
          continue;
        }
        answers[first + i] = ReadCallConversation(requests[i], std::move(responses[i]));
      }
    }
    // What a batch did not settle, and batches of one, go the usual way, in order.
    for (size_t i = first; i < first + batch; ++i) {
      if (!answers[i]) answers[i] = GetCallConversation(ids[i]);
    }
    first += batch;
  }
  std::vector<Result<CallConversation>> out;
  out.reserve(answers.size());
  for (auto& answer : answers) out.push_back(std::move(*answer));
  return out;
}

Result<CallConversation> ApiClient::ReadCallConversation(const HttpRequest& request,
                                                         Result<HttpResponse> response) {
  if (!response.ok()) return response.status();
  if (!IsSuccess(response->status)) return ErrorFromResponse(request, *response);
  Result<CallConversation> conversation = ParseCallConversation(response->body);
  if (!conversation.ok()) return ParseError(conversation.status(), request, *response);
  conversation->correlation_id = response->Header(kCorrelationHeader);
  return conversation;
}

Result<PatchReply> ApiClient::PatchParticipant(const std::string& conversation_id,
                                               const std::string& participant_id,
                                               const std::string& json_body, WaitPolicy waits) {
  const HttpRequest request =
      JsonRequest("PATCH",
                  routes::FillPath(routes::kConversationParticipant,
                                   {EncodeSegment(conversation_id), EncodeSegment(participant_id)}),
                  json_body);
  Result<HttpResponse> response = Execute(request, waits);
  if (!response.ok()) return response.status();
  if (!IsSuccess(response->status)) return ErrorFromResponse(request, *response);
  return PatchReply{response->status, response->Header(kCorrelationHeader),
                    response->Header("X-Gcsim-Ignored-Fields")};
}

Result<std::vector<MediaLeg>> ApiClient::ListSilentMedia(Duration silent_for) {
  std::vector<MediaLeg> legs;
  for (int page_number = 1;; ++page_number) {
    // The control plane needs no token.
    const HttpRequest request =
        JsonRequest("GET", std::string(routes::kSimMedia) + "?silentFor=" + FormatDuration(silent_for) +
                               "&pageSize=" + std::to_string(options_.media_page_size) +
                               "&pageNumber=" + std::to_string(page_number));
    Result<HttpResponse> response = Send(options_.api_url, request, /*authenticated=*/false);
    if (!response.ok()) return response.status();
    if (!IsSuccess(response->status)) return ErrorFromResponse(request, *response);
    Result<MediaPage> page = ParseMediaPage(response->body);
    if (!page.ok()) return ParseError(page.status(), request, *response);
    for (auto& leg : page->entities) legs.push_back(std::move(leg));
    if (page->entities.empty() || page_number >= page->page_count) return legs;
  }
}

Result<MediaLeg> ApiClient::GetLegMedia(const std::string& conversation_id,
                                        const std::string& participant_id) {
  // The control plane needs no token.
  const HttpRequest request =
      JsonRequest("GET", routes::FillPath(routes::kSimLegMedia, {EncodeSegment(conversation_id),
                                                                  EncodeSegment(participant_id)}));
  Result<HttpResponse> response = Send(options_.api_url, request, /*authenticated=*/false);
  if (!response.ok()) return response.status();
  if (!IsSuccess(response->status)) return ErrorFromResponse(request, *response);
  Result<MediaLeg> leg = ParseMediaLeg(response->body);
  if (!leg.ok()) return ParseError(leg.status(), request, *response);
  return leg;
}

}  // namespace gcsim::client
