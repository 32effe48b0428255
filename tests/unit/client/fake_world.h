// A tiny Genesys org behind a FakeTransport: enough of the token, call-conversation, participant
// PATCH, analytics and /sim/v1/media endpoints for reaper tests, with switches for the failure
// modes the reaper must survive.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fake_transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/time.h"

namespace gcsim::client::testing {

struct FakeLeg {
  std::string id;
  std::string purpose = "customer";
  std::string state = "connected";
  TimePoint silent_since;  // last heard (or connected, if never heard)
  bool flowing = true;
  bool speaking = false;  // heard right now (silent_since moves with it: the test sets both)
  std::optional<TimePoint> connected_time;  // a new leg under an old id has a new one
  // Analytics: the open segment of the leg's voice session.
  std::string segment_type = "interact";
  bool audio_muted = false;
  TimePoint segment_start;
};

class FakeWorld {
 public:
  explicit FakeWorld(const Clock& clock) : clock_(clock) {}

  FakeLeg& AddLeg(const std::string& conversation_id, const std::string& participant_id,
                  const std::string& purpose, TimePoint silent_since) {
    auto& legs = conversations_[conversation_id];
    legs.push_back({participant_id, purpose, "connected", silent_since, true, false, std::nullopt,
                    "interact", false, silent_since});
    return legs.back();
  }
  // The leg is heard from now on (talking, unmuted, not held).
  void Hear(const std::string& conversation_id, const std::string& participant_id) {
    FakeLeg* leg = Find(conversation_id, participant_id);
    leg->speaking = true;
    leg->silent_since = clock_.Now();
    leg->segment_type = "interact";
    leg->audio_muted = false;
    leg->segment_start = clock_.Now();
  }
  FakeLeg* Find(const std::string& conversation_id, const std::string& participant_id) {
    auto it = conversations_.find(conversation_id);
    if (it == conversations_.end()) return nullptr;
    for (FakeLeg& leg : it->second) {
      if (leg.id == participant_id) return &leg;
    }
    return nullptr;
  }
  void RemoveConversation(const std::string& conversation_id) {
    conversations_.erase(conversation_id);
  }

  // Failure modes.
  bool ignore_drops = false;                 // 202, yet nothing changes: a leg that will not die
  bool media_survives_drop = false;          // disconnected, yet media keeps flowing
  std::optional<HttpResponse> patch_answer;  // answer every PATCH with this instead
  std::optional<HttpResponse> get_answer;    // answer every conversation GET with this instead

  // Requests per minute charged to the OAuth client (0: no limit), the way gcsim charges
  // them: every /api/v2 request, in a window from the first request, answered with the
  // inin-ratelimit-* headers, and 429 with Retry-After past the budget.
  int rate_limit = 0;
  // Another script on the same OAuth client spends `n` requests of the budget now.
  void SpendBudget(int n) {
    for (int i = 0; i < n; ++i) Charge();
  }

  // Requests whose "METHOD target" starts with `prefix`.
  int Count(const std::vector<SentRequest>& sent, const std::string& prefix) const {
    return static_cast<int>(std::count_if(sent.begin(), sent.end(), [&](const SentRequest& s) {
      return (s.request.method + " " + s.request.target).rfind(prefix, 0) == 0;
    }));
  }

  Result<HttpResponse> Handle(const std::string& base_url, const HttpRequest& request) {
    if (request.target.rfind("/api/v2/", 0) != 0 || rate_limit == 0) {
      return Route(base_url, request);
    }
    const Charged charged = Charge();
    HttpResponse response;
    if (charged.limited) {
      response = ErrorResponse(429, "too.many.requests.retry.after",
                               {{"Retry-After", std::to_string(charged.reset_seconds)}});
    } else {
      Result<HttpResponse> routed = Route(base_url, request);
      if (!routed.ok()) return routed;
      response = *routed;
    }
    response.headers["inin-ratelimit-count"] = std::to_string(charged.count);
    response.headers["inin-ratelimit-allowed"] = std::to_string(rate_limit);
    response.headers["inin-ratelimit-reset"] = std::to_string(charged.reset_seconds);
    return response;
  }

 private:
  struct Charged {
    int count = 0;
    int reset_seconds = 0;
    bool limited = false;
  };
  Charged Charge() {
    const TimePoint now = clock_.Now();
    if (window_count_ == 0 || now >= window_start_ + std::chrono::minutes(1)) {
      window_start_ = now;
      window_count_ = 0;
    }
    ++window_count_;
    const auto left = window_start_ + std::chrono::minutes(1) - now;
    return {window_count_, static_cast<int>((left.count() + 999) / 1000),
            window_count_ > rate_limit};
  }

  Result<HttpResponse> Route(const std::string& /*base_url*/, const HttpRequest& request) {
    const std::string& target = request.target;
    if (request.method == "POST" && target == "/oauth/token") return TokenResponse("tok");
    if (request.method == "GET" && target.rfind("/sim/v1/media?", 0) == 0) return Media(target);
    if (request.method == "GET" && target.rfind("/sim/v1/conversations/", 0) == 0) {
      return LegMedia(target);
    }
    if (request.method == "GET" && target.rfind("/api/v2/conversations/calls/", 0) == 0) {
      return GetCall(target.substr(std::string("/api/v2/conversations/calls/").size()));
    }
    if (request.method == "PATCH" && target.rfind("/api/v2/conversations/", 0) == 0) {
      return Patch(target, request.body);
    }
    if (request.method == "POST" && target == "/api/v2/analytics/conversations/details/query") {
      return Analytics();
    }
    return ErrorResponse(404, "not.found");
  }

  static bool Human(const FakeLeg& leg) { return leg.purpose != "acd" && leg.purpose != "ivr"; }

  static std::map<std::string, std::string> Query(const std::string& target) {
    std::map<std::string, std::string> out;
    std::string rest = target.substr(target.find('?') + 1);
    while (!rest.empty()) {
      const std::string pair = rest.substr(0, rest.find('&'));
      out[pair.substr(0, pair.find('='))] = pair.substr(pair.find('=') + 1);
      rest = rest.find('&') == std::string::npos ? "" : rest.substr(rest.find('&') + 1);
    }
    return out;
  }

  HttpResponse Media(const std::string& target) {
    auto query = Query(target);
    const Duration silent_for = *ParseDuration(query["silentFor"]);
    const int page_size = std::stoi(query["pageSize"]);
    const int page_number = std::stoi(query["pageNumber"]);
    const TimePoint now = clock_.Now();
    std::vector<std::pair<std::string, const FakeLeg*>> listed;
    for (const auto& [cid, legs] : conversations_) {
      for (const FakeLeg& leg : legs) {
        if (leg.flowing && now - leg.silent_since >= silent_for) listed.emplace_back(cid, &leg);
      }
    }
    std::sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) {
      return std::tie(a.second->silent_since, a.second->id) <
             std::tie(b.second->silent_since, b.second->id);
    });
    nlohmann::json entities = nlohmann::json::array();
    for (size_t i = static_cast<size_t>((page_number - 1) * page_size);
         i < listed.size() && i < static_cast<size_t>(page_number * page_size); ++i) {
      const auto& [cid, leg] = listed[i];
      entities.push_back(MediaJson(cid, *leg, now));
    }
    const int total = static_cast<int>(listed.size());
    return JsonResponse(200, nlohmann::json({{"entities", entities},
                                             {"pageSize", page_size},
                                             {"pageNumber", page_number},
                                             {"total", total},
                                             {"pageCount", (total + page_size - 1) / page_size}})
                                 .dump());
  }

  static nlohmann::json MediaJson(const std::string& cid, const FakeLeg& leg, TimePoint now) {
    return {{"conversationId", cid},
            {"participantId", leg.id},
            {"purpose", leg.purpose},
            {"state", leg.state},
            {"speaking", leg.speaking},
            {"flowing", leg.flowing},
            {"muted", false},
            {"held", false},
            {"lastHeardAt", FormatIso8601(leg.silent_since)},
            {"silentSince", FormatIso8601(leg.silent_since)},
            {"silentForMs", (now - leg.silent_since).count()},
            {"silentFor", FormatDuration(now - leg.silent_since)}};
  }

  // /sim/v1/conversations/{cid}/participants/{pid}/media
  HttpResponse LegMedia(const std::string& target) {
    const std::string rest = target.substr(std::string("/sim/v1/conversations/").size());
    const std::string conversation_id = rest.substr(0, rest.find('/'));
    const size_t pid_start = rest.find("/participants/") + std::string("/participants/").size();
    const std::string participant_id = rest.substr(pid_start, rest.rfind('/') - pid_start);
    FakeLeg* leg = Find(conversation_id, participant_id);
    if (leg == nullptr) return ErrorResponse(404, "not.found");
    return JsonResponse(200, MediaJson(conversation_id, *leg, clock_.Now()).dump());
  }

  HttpResponse GetCall(const std::string& conversation_id) {
    if (get_answer) return *get_answer;
    auto it = conversations_.find(conversation_id);
    if (it == conversations_.end()) return ErrorResponse(404, "not.found");
    nlohmann::json participants = nlohmann::json::array();
    for (const FakeLeg& leg : it->second) {
      nlohmann::json participant = {{"id", leg.id},
                                    {"purpose", leg.purpose},
                                    {"state", leg.state},
                                    {"held", false},
                                    {"muted", false}};
      if (leg.connected_time) participant["connectedTime"] = FormatIso8601(*leg.connected_time);
      participants.push_back(std::move(participant));
    }
    return JsonResponse(
        200, nlohmann::json({{"id", conversation_id}, {"participants", participants}}).dump());
  }

  HttpResponse Patch(const std::string& target, const std::string& body) {
    if (patch_answer) return *patch_answer;
    // /api/v2/conversations/{cid}/participants/{pid}
    const std::string rest = target.substr(std::string("/api/v2/conversations/").size());
    const std::string conversation_id = rest.substr(0, rest.find('/'));
    const std::string participant_id = rest.substr(rest.rfind('/') + 1);
    FakeLeg* leg = Find(conversation_id, participant_id);
    if (leg == nullptr)
      return ErrorResponse(404, "conversation.error.not.conversation.participant");
    if (nlohmann::json::parse(body).value("state", "") != "disconnected") {
      return JsonResponse(204, "");
    }
    if (leg->state != "connected")
      return ErrorResponse(400, "conversation.error.call.disconnected");
    if (ignore_drops) return JsonResponse(202, "");
    leg->state = "disconnected";
    leg->flowing = media_survives_drop;
    auto& legs = conversations_[conversation_id];
    const auto humans = std::count_if(legs.begin(), legs.end(), [](const FakeLeg& l) {
      return l.state == "connected" && Human(l);
    });
    if (humans < 2) {
      for (FakeLeg& l : legs) {
        l.state = "terminated";
        l.flowing = l.flowing && media_survives_drop;
      }
    }
    return JsonResponse(202, "");
  }

  HttpResponse Analytics() {
    nlohmann::json conversations = nlohmann::json::array();
    for (const auto& [cid, legs] : conversations_) {
      nlohmann::json participants = nlohmann::json::array();
      for (const FakeLeg& leg : legs) {
        nlohmann::json segment = {{"segmentType", leg.segment_type},
                                  {"segmentStart", FormatIso8601(leg.segment_start)}};
        if (leg.audio_muted) segment["audioMuted"] = true;
        if (leg.state != "connected") segment["segmentEnd"] = FormatIso8601(clock_.Now());
        participants.push_back(
            {{"participantId", leg.id},
             {"purpose", leg.purpose},
             {"sessions",
              {{{"mediaType", "voice"}, {"sessionId", "s-" + leg.id}, {"segments", {segment}}}}}});
      }
      conversations.push_back({{"conversationId", cid},
                               {"conversationStart", "2026-01-01T08:00:00.000Z"},
                               {"participants", participants}});
    }
    const size_t total = conversations.size();
    return JsonResponse(
        200, nlohmann::json({{"conversations", conversations}, {"totalHits", total}}).dump());
  }

  const Clock& clock_;
  std::map<std::string, std::deque<FakeLeg>> conversations_;
  TimePoint window_start_{};
  int window_count_ = 0;  // deque: AddLeg references stay valid
};

}  // namespace gcsim::client::testing
