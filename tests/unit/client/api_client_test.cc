#include "gcsim/client/api_client.h"

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fake_transport.h"

namespace gcsim::client {
namespace {

using std::chrono::seconds;
using testing::ErrorResponse;
using testing::FakeTransport;
using testing::JsonResponse;
using testing::TokenResponse;

constexpr char kConversation[] =
    R"({"id":"c1","participants":[{"id":"p1","purpose":"customer","state":"connected",)"
    R"("held":false,"muted":true,"startTime":"2026-01-01T08:50:00.000Z",)"
    R"("user":{"id":"u1"},"queue":null}]})";

class ClientApiTest : public ::testing::Test {
 protected:
  ClientApiTest() : clock_({.advance_on_wait = true}), transport_(clock_) {}

  ApiClientOptions Options() {
    ApiClientOptions options;
    options.api_url = "https://api.mypurecloud.ie";
    options.client_id = "id";
    options.client_secret = "secret";
    return options;
  }

  ManualClock clock_;
  FakeTransport transport_;
};

TEST(ClientLoginUrlTest, SwapsApiForLoginOrKeepsALocalUrl) {
  EXPECT_EQ(DeriveLoginUrl("https://api.mypurecloud.com"), "https://login.mypurecloud.com");
  EXPECT_EQ(DeriveLoginUrl("https://api.usw2.pure.cloud/"), "https://login.usw2.pure.cloud/");
  EXPECT_EQ(DeriveLoginUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(DeriveLoginUrl("http://myapi.example:80"), "http://myapi.example:80");
}

TEST(ClientStatusMapTest, MapsHttpStatusesToCodes) {
  const std::pair<int, StatusCode> cases[] = {
      {400, StatusCode::kInvalidArgument},    {401, StatusCode::kUnauthenticated},
      {403, StatusCode::kPermissionDenied},   {404, StatusCode::kNotFound},
      {409, StatusCode::kFailedPrecondition}, {415, StatusCode::kFailedPrecondition},
      {429, StatusCode::kResourceExhausted},  {500, StatusCode::kUnavailable},
      {503, StatusCode::kUnavailable},        {504, StatusCode::kUnavailable},
  };
  for (const auto& [http, code] : cases) {
    EXPECT_EQ(StatusCodeForHttp(http), code) << http;
  }
}

TEST(ClientStopTest, StopEndsAWaitForARetryAfterAndSendsNothingMore) {
  ManualClock clock;  // a wait blocks until the clock moves, which it never does here
  FakeTransport transport(clock);
  transport.Push(TokenResponse("tok"));
  transport.Push(ErrorResponse(429, "too.many.requests.retry.after", {{"Retry-After", "3600"}}));
  ApiClientOptions options;
  options.api_url = "https://api.mypurecloud.ie";
  ApiClient client(options, clock, transport);

  auto call = std::async(std::launch::async, [&] { return client.GetCallConversation("c1"); });
  while (client.counters().waits == 0) std::this_thread::yield();  // waiting out the hour
  client.Stop();
  const auto result = call.get();

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().reason(), kStoppedReason) << result.status().ToString();
  EXPECT_EQ(transport.sent().size(), 2u);
  EXPECT_EQ(client.counters().failed, 0u);
  EXPECT_EQ(client.FetchToken().reason(), kStoppedReason);
  EXPECT_EQ(transport.sent().size(), 2u);
}

// A Date has whole seconds: each answer bounds the offset to a range, and the offset is the least
// of the newest answer's, so that a server's time read on our clock is never earlier than it was.
TEST(ServerTimeTest, TheNewestAnswersLowerBoundIsTheOffset) {
  using std::chrono::milliseconds;
  const TimePoint t = kSimulationStart;
  ServerTime time;
  // Ours is 700ms ahead. Dated 09:00:00 and had at 09:00:01.005 on ours: at least 1.005s behind
  // (a Date cannot tell a second apart).
  time.Observe(t, t + std::chrono::seconds(1) + milliseconds(5));
  EXPECT_EQ(time.offset(), -milliseconds(1005));
  // Dated 09:00:01 and had at 09:00:01.712 on ours: at least 712ms behind.
  time.Observe(t + std::chrono::seconds(1), t + milliseconds(1712));
  EXPECT_EQ(time.offset(), -milliseconds(712));
  // A leg silent since 09:00 on the server's clock: since 09:00:00.712 on ours, not 09:00, so
  // its silence is read 12ms short, never 700ms long.
  EXPECT_EQ(time.ToLocal(t), t + milliseconds(712));
  // A looser answer loosens it: an older bound holds only while the clocks run at one rate.
  time.Observe(t + std::chrono::seconds(2), t + milliseconds(2900));
  EXPECT_EQ(time.offset(), -milliseconds(900));
}

TEST(ServerTimeTest, AClockThatJumpsIsReadFromTheNewestAnswer) {
  const TimePoint t = kSimulationStart;
  ServerTime time;
  // Ours is an hour ahead: the server said 09:00:00 in an answer we had at 10:00:00.300.
  time.Observe(t, t + std::chrono::hours(1) + std::chrono::milliseconds(300));
  EXPECT_EQ(time.offset(), -(std::chrono::hours(1) + std::chrono::milliseconds(300)));
  // A leg silent since 08:59 on the server's clock: since 09:59:00.300 on ours, not 08:59.
  EXPECT_EQ(time.ToLocal(t - std::chrono::minutes(1)),
            t + std::chrono::minutes(59) + std::chrono::milliseconds(300));
  // The server's clock moved an hour on (gcsim's manual clock).
  time.Observe(t + std::chrono::hours(1), t + std::chrono::hours(1) + std::chrono::milliseconds(2));
  EXPECT_EQ(time.offset(), -std::chrono::milliseconds(2));
  EXPECT_EQ(time.ToServer(t), t - std::chrono::milliseconds(2));
  // And back (a rewind): the newest answer decides.
  time.Observe(t, t + std::chrono::hours(1));
  EXPECT_EQ(time.offset(), -std::chrono::hours(1));
}

TEST_F(ClientApiTest, TheDateOfEachAnswerTellsWhereTheServersClockStands) {
  const Headers an_hour_behind{{"Date", FormatHttpDate(clock_.Now() - std::chrono::hours(1))}};
  transport_.Push(JsonResponse(
      200, R"({"access_token":"tok1","token_type":"bearer","expires_in":86400})", an_hour_behind));
  transport_.Push(JsonResponse(200, kConversation, {{"Date", "yesterday"}}));
  transport_.Push(JsonResponse(200, kConversation));
  ApiClient client(Options(), clock_, transport_);
  EXPECT_EQ(client.server_time().offset(), Duration::zero());
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(client.server_time().offset(), -std::chrono::hours(1))
      << "a Date it cannot read changes nothing";
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(client.server_time().offset(), -std::chrono::hours(1))
      << "nor does an answer without one";
}

TEST_F(ClientApiTest, FetchesTokenWithClientCredentialsAndUsesIt) {
  transport_.Push(TokenResponse("tok1"));
  transport_.Push(JsonResponse(200, kConversation));
  ApiClient client(Options(), clock_, transport_);

  auto conversation = client.GetCallConversation("c1");
  ASSERT_TRUE(conversation.ok()) << conversation.status().ToString();

  ASSERT_EQ(transport_.sent().size(), 2u);
  const auto& token = transport_.sent()[0];
  EXPECT_EQ(token.base_url, "https://login.mypurecloud.ie");
  EXPECT_EQ(token.request.method, "POST");
  EXPECT_EQ(token.request.target, "/oauth/token");
  EXPECT_EQ(token.request.headers.at("authorization"), "Basic aWQ6c2VjcmV0");  // id:secret
  EXPECT_EQ(token.request.headers.at("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(token.request.body, "grant_type=client_credentials");

  const auto& get = transport_.sent()[1];
  EXPECT_EQ(get.base_url, "https://api.mypurecloud.ie");
  EXPECT_EQ(get.request.target, "/api/v2/conversations/calls/c1");
  EXPECT_EQ(get.request.headers.at("Authorization"), "Bearer tok1");
  EXPECT_EQ(client.counters().token_fetches, 1u);
  EXPECT_EQ(client.counters().requests, 2u);

  ASSERT_EQ(conversation->participants.size(), 1u);
  const CallParticipant& p = conversation->participants[0];
  EXPECT_EQ(p.id, "p1");
  EXPECT_EQ(p.state, "connected");
  EXPECT_TRUE(p.muted);
  EXPECT_EQ(p.user_id, "u1");
  EXPECT_EQ(p.queue_id, "");
  EXPECT_EQ(FormatIso8601(*p.start_time), "2026-01-01T08:50:00.000Z");
  EXPECT_FALSE(conversation->Ended());
  EXPECT_FALSE(conversation->correlation_id.empty());
}

TEST_F(ClientApiTest, ReusesTokenThenRefreshesBeforeExpiry) {
  // 300 s lifetime: refresh once less than 60 s (more than 10%) remain, i.e. from 240 s.
  transport_.Push(TokenResponse("tok1", 300));
  transport_.Push(JsonResponse(200, kConversation));
  ApiClient client(Options(), clock_, transport_);
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  transport_.Push(JsonResponse(200, kConversation));
  clock_.Advance(seconds(239));
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(client.counters().token_fetches, 1u);
  EXPECT_EQ(transport_.sent().back().request.headers.at("Authorization"), "Bearer tok1");

  transport_.Push(TokenResponse("tok2", 300));
  transport_.Push(JsonResponse(200, kConversation));
  clock_.Advance(seconds(1));
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(client.counters().token_fetches, 2u);
  EXPECT_EQ(transport_.sent().back().request.headers.at("Authorization"), "Bearer tok2");
}

TEST_F(ClientApiTest, RefreshesOnceOn401AndRetriesOnce) {
  transport_.Push(TokenResponse("tok1"));
  transport_.Push(ErrorResponse(401, "authentication.required"));
  transport_.Push(TokenResponse("tok2"));
  transport_.Push(JsonResponse(200, kConversation));
  ApiClient client(Options(), clock_, transport_);
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(client.counters().token_fetches, 2u);
  EXPECT_EQ(transport_.sent().back().request.headers.at("Authorization"), "Bearer tok2");

  // A token the API keeps refusing: one refresh, then the 401 is final.
  transport_.Push(ErrorResponse(401, "authentication.required"));
  transport_.Push(TokenResponse("tok3"));
  transport_.Push(ErrorResponse(401, "authentication.required"));
  const size_t before = transport_.sent().size();
  auto result = client.GetCallConversation("c1");
  EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(transport_.sent().size() - before, 3u);
  EXPECT_EQ(transport_.unused(), 0u);
}

TEST_F(ClientApiTest, BadCredentialsAreUnauthenticatedWithoutRetry) {
  transport_.Push(JsonResponse(
      401, R"({"error":"invalid_client","description":"bad","error_description":"bad secret"})"));
  ApiClient client(Options(), clock_, transport_);
  const Status status = client.FetchToken();
  EXPECT_EQ(status.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(status.reason(), "invalid_client");
  EXPECT_NE(status.message().find("bad secret"), std::string::npos);
  EXPECT_EQ(transport_.sent().size(), 1u);
}

TEST_F(ClientApiTest, Honours429RetryAfterOnTheClock) {
  transport_.Push(TokenResponse("tok1"));
  ApiClient client(Options(), clock_, transport_);
  ASSERT_TRUE(client.FetchToken().ok());
  transport_.Push(ErrorResponse(429, "too.many.requests.retry.after", {{"Retry-After", "7"}}));
  transport_.Push(JsonResponse(200, kConversation));
  const TimePoint start = clock_.Now();

  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(clock_.Now() - start, seconds(7));
  ASSERT_EQ(transport_.sent().size(), 3u);
  EXPECT_EQ(transport_.sent()[2].at - transport_.sent()[1].at, seconds(7));
  EXPECT_EQ(client.counters().rate_limited, 1u);
  EXPECT_EQ(client.counters().retries, 1u);
}

TEST_F(ClientApiTest, BacksOffWithJitterOn5xxThenSucceeds) {
  ApiClientOptions options = Options();
  options.backoff_base = seconds(2);
  transport_.Push(TokenResponse("tok1"));
  transport_.Push(ErrorResponse(503, "service.unavailable"));
  transport_.Push(ErrorResponse(500, "internal.server.error"));
  transport_.Push(JsonResponse(200, kConversation));
  ApiClient client(options, clock_, transport_);
  ASSERT_TRUE(client.GetCallConversation("c1").ok());

  const auto& sent = transport_.sent();
  ASSERT_EQ(sent.size(), 4u);
  const Duration first = sent[2].at - sent[1].at;
  const Duration second = sent[3].at - sent[2].at;
  EXPECT_GE(first, seconds(1));  // retry 0: half of 2 s fixed, half jitter
  EXPECT_LE(first, seconds(2));
  EXPECT_GE(second, seconds(2));  // retry 1: half of 4 s fixed, half jitter
  EXPECT_LE(second, seconds(4));
  EXPECT_EQ(client.counters().retries, 2u);

  // The same seed waits the same: runs on a ManualClock repeat exactly.
  ManualClock clock2({.advance_on_wait = true});
  FakeTransport transport2(clock2);
  transport2.Push(TokenResponse("tok1"));
  transport2.Push(ErrorResponse(503, "service.unavailable"));
  transport2.Push(JsonResponse(200, kConversation));
  ApiClient client2(options, clock2, transport2);
  ASSERT_TRUE(client2.GetCallConversation("c1").ok());
  EXPECT_EQ(transport2.sent()[2].at - transport2.sent()[1].at, first);
}

TEST_F(ClientApiTest, A5xxWithRetryAfterWaitsWhatItSays) {
  transport_.Push(TokenResponse("tok1"));
  transport_.Push(ErrorResponse(503, "service.unavailable", {{"Retry-After", "7"}}));
  transport_.Push(JsonResponse(200, kConversation));
  ApiClient client(Options(), clock_, transport_);
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  const auto& sent = transport_.sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2].at - sent[1].at, seconds(7));
  EXPECT_EQ(client.counters().retries, 1u);
}

TEST_F(ClientApiTest, GivesUpAfterMaxRetriesOnTransportErrors) {
  ApiClientOptions options = Options();
  options.max_retries = 2;
  transport_.Push(TokenResponse("tok1"));
  for (int i = 0; i < 3; ++i) transport_.Push(UnavailableError("connection refused"));
  ApiClient client(options, clock_, transport_);
  auto result = client.GetCallConversation("c1");
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(transport_.sent().size(), 4u);
  EXPECT_EQ(client.counters().retries, 2u);
}

TEST_F(ClientApiTest, DoesNotRetryOther4xx) {
  transport_.Push(TokenResponse("tok1"));
  transport_.Push(ErrorResponse(400, "conversation.error.call.disconnected"));
  ApiClient client(Options(), clock_, transport_);
  auto result = client.PatchParticipant("c1", "p1", R"({"state":"disconnected"})");
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().reason(), "conversation.error.call.disconnected");
  EXPECT_NE(result.status().message().find("correlation id corr-"), std::string::npos);

  transport_.Push(ErrorResponse(404, "not.found"));
  EXPECT_EQ(client.GetCallConversation("nope").status().code(), StatusCode::kNotFound);
  transport_.Push(ErrorResponse(403, "missing.permissions"));
  EXPECT_EQ(client.GetCallConversation("c1").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(transport_.sent().size(), 4u);
  EXPECT_EQ(client.counters().retries, 0u);
}

TEST_F(ClientApiTest, PacesOnTheRateLimitHeaders) {
  transport_.Push(TokenResponse("tok1"));
  ApiClient client(Options(), clock_, transport_);
  ASSERT_TRUE(client.FetchToken().ok());

  // Budget left: no wait.
  transport_.Push(JsonResponse(200, kConversation,
                               {{"inin-ratelimit-count", "2"},
                                {"inin-ratelimit-allowed", "3"},
                                {"inin-ratelimit-reset", "50"}}));
  // Budget spent: the next request waits for the window to reset.
  transport_.Push(JsonResponse(200, kConversation,
                               {{"inin-ratelimit-count", "3"},
                                {"inin-ratelimit-allowed", "3"},
                                {"inin-ratelimit-reset", "20"}}));
  transport_.Push(JsonResponse(200, kConversation));
  const TimePoint start = clock_.Now();
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(clock_.Now(), start);
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(clock_.Now(), start);
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(transport_.sent().back().at - start, seconds(20));
  EXPECT_EQ(client.counters().rate_limited, 0u);
}

TEST_F(ClientApiTest, MalformedResponsesBecomeErrors) {
  transport_.Push(TokenResponse("tok1"));
  ApiClient client(Options(), clock_, transport_);
  const char* bodies[] = {
      "{not json",
      "[]",
      R"({"id":5})",
      R"({"id":"c1","participants":{}})",
      R"({"id":"c1","participants":[{"id":"p1","startTime":"yesterday"}]})",
      R"({"id":"c1","participants":[{"purpose":"agent"}]})",
      R"({"id":"c1","participants":[{"id":"p1","held":"no"}]})",
      "",
  };
  for (const char* body : bodies) {
    transport_.Push(JsonResponse(200, body));
    auto result = client.GetCallConversation("c1");
    EXPECT_FALSE(result.ok()) << body;
    EXPECT_EQ(result.status().code(), StatusCode::kInternal) << body;
    EXPECT_NE(result.status().message().find("malformed"), std::string::npos) << body;
  }
  transport_.Push(JsonResponse(200, R"({"access_token":"","expires_in":1})"));
  EXPECT_FALSE(client.FetchToken().ok());
  transport_.Push(JsonResponse(200, R"({"access_token":"t","expires_in":"soon"})"));
  EXPECT_FALSE(client.FetchToken().ok());
  transport_.Push(JsonResponse(200, R"({"entities":[{"conversationId":"c"}],"pageNumber":1})"));
  EXPECT_FALSE(client.ListSilentMedia(seconds(1)).ok());
  transport_.Push(JsonResponse(200, R"({"conversations":[{"conversationId":"c"}],"totalHits":1})"));
  EXPECT_FALSE(client.QueryLiveConversations(clock_.Now(), clock_.Now()).ok());
}

TEST_F(ClientApiTest, PatchesTheGenericParticipantEndpoint) {
  transport_.Push(TokenResponse("tok1"));
  HttpResponse accepted = JsonResponse(202, "");
  accepted.headers["X-Gcsim-Ignored-Fields"] = "dropReason";
  transport_.Push(accepted);
  ApiClient client(Options(), clock_, transport_);
  auto reply = client.PatchParticipant("c 1", "p1", R"({"state":"disconnected"})");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->http_status, 202);
  EXPECT_EQ(reply->ignored_fields, "dropReason");
  const HttpRequest& patch = transport_.sent().back().request;
  EXPECT_EQ(patch.method, "PATCH");
  EXPECT_EQ(patch.target, "/api/v2/conversations/c%201/participants/p1");
  EXPECT_EQ(patch.headers.at("content-type"), "application/json");
  EXPECT_EQ(patch.body, R"({"state":"disconnected"})");
}

TEST_F(ClientApiTest, PagesThroughTheAnalyticsQuery) {
  transport_.Push(TokenResponse("tok1"));
  const auto page = [](int first, int count, int total) {
    nlohmann::json j;
    j["totalHits"] = total;
    j["conversations"] = nlohmann::json::array();
    for (int i = first; i < first + count; ++i) {
      j["conversations"].push_back({{"conversationId", "c" + std::to_string(i)},
                                    {"conversationStart", "2026-01-01T08:00:00.000Z"},
                                    {"participants",
                                     {{{"participantId", "p" + std::to_string(i)},
                                       {"purpose", "customer"},
                                       {"sessions",
                                        {{{"mediaType", "voice"},
                                          {"sessionId", "s"},
                                          {"segments",
                                           {{{"segmentType", "hold"},
                                             {"segmentStart", "2026-01-01T08:01:00.000Z"},
                                             {"audioMuted", true}}}}}}}}}}});
    }
    return JsonResponse(200, j.dump());
  };
  transport_.Push(page(0, 100, 150));
  transport_.Push(page(100, 50, 150));
  ApiClient client(Options(), clock_, transport_);
  const TimePoint now = clock_.Now();
  auto conversations = client.QueryLiveConversations(now - std::chrono::hours(24), now);
  ASSERT_TRUE(conversations.ok()) << conversations.status().ToString();
  EXPECT_EQ(conversations->size(), 150u);
  ASSERT_EQ(transport_.sent().size(), 3u);
  EXPECT_EQ(conversations->back().participants[0].sessions[0].segments[0].segment_type, "hold");
  EXPECT_TRUE(conversations->back().participants[0].sessions[0].segments[0].audio_muted);

  const HttpRequest& second = transport_.sent()[2].request;
  EXPECT_EQ(second.target, "/api/v2/analytics/conversations/details/query");
  EXPECT_EQ(second.headers.at("Content-Type"), "application/json");
  const auto body = nlohmann::json::parse(second.body);
  EXPECT_EQ(body["interval"], "2025-12-31T09:00:00.000Z/2026-01-01T09:00:00.000Z");
  EXPECT_EQ(body["order"], "asc");
  EXPECT_EQ(body["orderBy"], "conversationStart");
  EXPECT_EQ(body["paging"], nlohmann::json({{"pageSize", 100}, {"pageNumber", 2}}));
  const nlohmann::json conversation_end = nlohmann::json::parse(
      R"([{"type":"and","predicates":[{"type":"dimension","dimension":"conversationEnd","operator":"notExists"}]}])");
  const nlohmann::json segment_end = nlohmann::json::parse(
      R"([{"type":"and","predicates":[{"type":"dimension","dimension":"segmentEnd","operator":"notExists"}]}])");
  EXPECT_EQ(body["conversationFilters"], conversation_end);
  EXPECT_EQ(body["segmentFilters"], segment_end);

  // A short page stops early even when totalHits promised more.
  transport_.Push(page(0, 0, 500));
  auto none = client.QueryLiveConversations(now, now);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(transport_.sent().size(), 4u);
}

TEST_F(ClientApiTest, PagesThroughTheMediaViewWithoutAToken) {
  const auto page = [](int number, int count) {
    nlohmann::json j = {
        {"pageSize", 2}, {"pageNumber", number}, {"total", 3}, {"pageCount", count}};
    j["entities"] = nlohmann::json::array();
    for (int i = 0; i < (number == 1 ? 2 : 1); ++i) {
      j["entities"].push_back({{"conversationId", "c1"},
                               {"participantId", "p" + std::to_string(number * 10 + i)},
                               {"purpose", "agent"},
                               {"state", "connected"},
                               {"speaking", false},
                               {"flowing", true},
                               {"muted", false},
                               {"held", false},
                               {"lastHeardAt", nullptr},
                               {"silentSince", "2026-01-01T08:40:00.000Z"},
                               {"silentForMs", 1200000},
                               {"silentFor", "20m"}});
    }
    return JsonResponse(200, j.dump());
  };
  transport_.Push(page(1, 2));
  transport_.Push(page(2, 2));
  ApiClientOptions options = Options();
  options.media_page_size = 2;
  ApiClient client(options, clock_, transport_);
  auto legs = client.ListSilentMedia(std::chrono::minutes(10) + seconds(30));
  ASSERT_TRUE(legs.ok()) << legs.status().ToString();
  ASSERT_EQ(legs->size(), 3u);
  EXPECT_EQ((*legs)[2].participant_id, "p20");
  EXPECT_FALSE((*legs)[0].last_heard_at.has_value());
  EXPECT_EQ((*legs)[0].silent_for, std::chrono::minutes(20));
  ASSERT_EQ(transport_.sent().size(), 2u);
  EXPECT_EQ(transport_.sent()[0].request.target,
            "/sim/v1/media?silentFor=10m30s&pageSize=2&pageNumber=1");
  EXPECT_EQ(transport_.sent()[1].request.target,
            "/sim/v1/media?silentFor=10m30s&pageSize=2&pageNumber=2");
  EXPECT_EQ(transport_.sent()[0].request.headers.count("Authorization"), 0u);
  EXPECT_EQ(client.counters().token_fetches, 0u);
}

TEST_F(ClientApiTest, LogsCarryTheCorrelationId) {
  std::ostringstream out;
  Logger logger(out, clock_, {.format = LogFormat::kJson});
  transport_.Push(TokenResponse("tok1"));
  HttpResponse limited =
      ErrorResponse(429, "too.many.requests.retry.after", {{"Retry-After", "1"}});
  limited.headers["ININ-Correlation-Id"] = "abc-123";
  transport_.Push(limited);
  transport_.Push(JsonResponse(200, kConversation));
  ApiClient client(Options(), clock_, transport_, &logger);
  ASSERT_TRUE(client.GetCallConversation("c1").ok());

  bool found = false;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);  // every line is one JSON object
    if (j["event"] == "retry") {
      EXPECT_EQ(j["correlation"], "abc-123");
      EXPECT_EQ(j["status"], "429");
      EXPECT_EQ(j["level"], "warn");
      found = true;
    }
  }
  EXPECT_TRUE(found) << out.str();
}

// A drop must go out right after what it rests on was read, or not at all.
TEST_F(ClientApiTest, ACallThatMayNotWaitIsRefusedOrFailsInsteadOfWaiting) {
  transport_.Push(TokenResponse("tok1"));
  ApiClient client(Options(), clock_, transport_);
  ASSERT_TRUE(client.FetchToken().ok());
  const TimePoint start = clock_.Now();

  // Budget known to be spent: refused without sending.
  transport_.Push(JsonResponse(200, kConversation,
                               {{"inin-ratelimit-count", "3"},
                                {"inin-ratelimit-allowed", "3"},
                                {"inin-ratelimit-reset", "20"}}));
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  const size_t sent = transport_.sent().size();
  auto refused =
      client.PatchParticipant("c1", "p1", R"({"state":"disconnected"})", WaitPolicy::kNever);
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().reason(), "rate.budget.spent");
  EXPECT_EQ(transport_.sent().size(), sent);

  // Ready: the wait happens now, before the caller reads anything.
  ASSERT_TRUE(client.WaitUntilReady().ok());
  EXPECT_EQ(clock_.Now() - start, seconds(20));
  EXPECT_EQ(client.counters().waits, 1u);

  // A 429, a 5xx, a transport error or a 401: one send, no wait, no second try.
  transport_.Push(ErrorResponse(429, "too.many.requests.retry.after", {{"Retry-After", "7"}}));
  transport_.Push(ErrorResponse(503, "service.unavailable"));
  transport_.Push(UnavailableError("connection reset"));
  transport_.Push(ErrorResponse(401, "bad.credentials"));
  const TimePoint before = clock_.Now();
  const std::vector<StatusCode> codes = {StatusCode::kResourceExhausted, StatusCode::kUnavailable,
                                         StatusCode::kUnavailable, StatusCode::kUnauthenticated};
  for (const StatusCode code : codes) {
    auto reply =
        client.PatchParticipant("c1", "p1", R"({"state":"disconnected"})", WaitPolicy::kNever);
    EXPECT_EQ(reply.status().code(), code) << reply.status().ToString();
    // The 429 announced a spent budget: the next call that may wait waits it out first.
    if (code == StatusCode::kResourceExhausted) {
      ASSERT_TRUE(client.WaitUntilReady().ok());
    }
  }
  EXPECT_EQ(clock_.Now() - before, seconds(7));
  EXPECT_EQ(client.counters().retries, 0u);
  EXPECT_EQ(client.counters().waits, 2u);
  // Refused, 429, 503 and no answer failed for good; the 401 only dropped the token.
  EXPECT_EQ(client.counters().failed, 4u);
  transport_.Push(TokenResponse("tok2"));
  transport_.Push(JsonResponse(202, ""));
  EXPECT_TRUE(client.PatchParticipant("c1", "p1", "{}", WaitPolicy::kNever).ok());
  EXPECT_EQ(transport_.sent().back().request.headers.at("Authorization"), "Bearer tok2");
  EXPECT_EQ(transport_.unused(), 0u);
}

TEST_F(ClientApiTest, WaitsAreCountedWhereverTheyHappen) {
  transport_.Push(TokenResponse("tok1"));
  transport_.Push(ErrorResponse(503, "service.unavailable"));
  transport_.Push(ErrorResponse(429, "too.many.requests.retry.after", {{"Retry-After", "3"}}));
  transport_.Push(JsonResponse(200, kConversation));
  ApiClient client(Options(), clock_, transport_);
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  EXPECT_EQ(client.counters().waits, 2u);
  EXPECT_EQ(client.counters().retries, 2u);
  EXPECT_EQ(client.counters().failed, 0u);
}

// gcsim's control plane is not charged to the API budget: its answers neither wait for the
// budget nor make the client forget that it is spent.
TEST_F(ClientApiTest, ControlPlaneReadsNeitherPaceNorMoveTheBudget) {
  transport_.Push(TokenResponse("tok1"));
  ApiClient client(Options(), clock_, transport_);
  ASSERT_TRUE(client.FetchToken().ok());
  transport_.Push(JsonResponse(200, kConversation,
                               {{"inin-ratelimit-count", "1"},
                                {"inin-ratelimit-allowed", "1"},
                                {"inin-ratelimit-reset", "60"}}));
  ASSERT_TRUE(client.GetCallConversation("c1").ok());
  const nlohmann::json leg = {{"conversationId", "c1"}, {"participantId", "p1"},
                              {"purpose", "agent"},     {"state", "connected"},
                              {"speaking", true},       {"flowing", true},
                              {"muted", true},          {"held", false},
                              {"lastHeardAt", nullptr}, {"silentSince", "2026-01-01T08:40:00.000Z"},
                              {"silentForMs", 1200000}, {"silentFor", "20m"}};
  transport_.Push(JsonResponse(200, leg.dump(),
                               {{"inin-ratelimit-count", "0"},
                                {"inin-ratelimit-allowed", "1"},
                                {"inin-ratelimit-reset", "60"}}));
  const TimePoint start = clock_.Now();
  auto media = client.GetLegMedia("c1", "p1");
  ASSERT_TRUE(media.ok()) << media.status().ToString();
  EXPECT_EQ(clock_.Now(), start);
  EXPECT_EQ(transport_.sent().back().request.target,
            "/sim/v1/conversations/c1/participants/p1/media");
  EXPECT_EQ(transport_.sent().back().request.headers.count("Authorization"), 0u);
  EXPECT_TRUE(media->muted);
  EXPECT_EQ(media->silent_for, std::chrono::minutes(20));
  // Still spent: a drop may not go now.
  EXPECT_EQ(client.PatchParticipant("c1", "p1", "{}", WaitPolicy::kNever).status().code(),
            StatusCode::kResourceExhausted);
  transport_.Push(ErrorResponse(404, "not.found"));
  EXPECT_EQ(client.GetLegMedia("c1", "gone").status().code(), StatusCode::kNotFound);
}

TEST_F(ClientApiTest, NarrowsTheAnalyticsQueryToOneConversation) {
  transport_.Push(TokenResponse("tok1"));
  transport_.Push(JsonResponse(200, R"({"conversations":[],"totalHits":0})"));
  ApiClient client(Options(), clock_, transport_);
  const TimePoint now = clock_.Now();
  ASSERT_TRUE(client.QueryLiveConversations(now - std::chrono::hours(24), now, "c1").ok());
  const auto body = nlohmann::json::parse(transport_.sent().back().request.body);
  const auto& predicates = body["conversationFilters"][0]["predicates"];
  ASSERT_EQ(predicates.size(), 2u) << body.dump();
  EXPECT_EQ(predicates[1], nlohmann::json({{"type", "dimension"},
                                           {"dimension", "conversationId"},
                                           {"operator", "matches"},
                                           {"value", "c1"}}));
}

}  // namespace
}  // namespace gcsim::client
