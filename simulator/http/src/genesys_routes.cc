#include "genesys_routes.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>

#include "analytics.h"
#include "gcsim/common/routes.h"
#include "gcsim/common/strings.h"
#include "gcsim/core/api_errors.h"
#include "gcsim/core/queries.h"
#include "render.h"
#include "requests.h"

namespace gcsim::http {
namespace {

using nlohmann::json;
namespace codes = core::codes;

constexpr char kIgnoredFieldsHeader[] = "X-Gcsim-Ignored-Fields";
constexpr int kDefaultPageSize = 25;
constexpr int kMaxPageSize = 100;

std::optional<std::string> DecodeBase64(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    if (c == '=') break;
    const size_t value = kAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

// --- OAuth ----------------------------------------------------------------------------------

// The login server's error shape, not an ErrorBody.
Reply OAuthError(int status, const char* error, const std::string& description) {
  return JsonReply(
      {{"error", error}, {"description", description}, {"error_description", description}}, status);
}

Reply IssueToken(core::Simulator& sim, Exchange& ex) {
  const std::string media_type = AsciiLower(ex.content_type.substr(0, ex.content_type.find(';')));
  if (media_type.find("application/x-www-form-urlencoded") == std::string::npos) {
    return OAuthError(400, "invalid_request",
                      "Content-Type must be application/x-www-form-urlencoded");
  }
  const auto grant = ex.Query("grant_type");
  if (!grant) return OAuthError(400, "invalid_request", "grant_type is required");
  if (*grant != "client_credentials") {
    return OAuthError(
        400, "unsupported_grant_type",
        "grant_type " + *grant + " is not supported (gcsim issues client_credentials)");
  }
  std::string client_id = ex.Query("client_id").value_or("");
  std::string secret = ex.Query("client_secret").value_or("");
  if (AsciiLower(ex.authorization.substr(0, 6)) == "basic ") {
    const auto decoded = DecodeBase64(ex.authorization.substr(6));
    const size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return OAuthError(400, "invalid_request", "malformed Basic authorization header");
    }
    client_id = decoded->substr(0, colon);
    secret = decoded->substr(colon + 1);
  }
  ex.journal.client_id = client_id;
  if (client_id.empty()) {
    return OAuthError(401, "invalid_client",
                      "client credentials are required (Basic auth or client_id/client_secret)");
  }
  auto grant_result = sim.IssueToken(client_id, secret);
  if (!grant_result.ok()) return OAuthError(401, "invalid_client", grant_result.status().message());
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(grant_result->expires_in);
  return JsonReply({{"access_token", grant_result->access_token},
                    {"token_type", "bearer"},
                    {"expires_in", seconds.count()}});
}

// --- conversations --------------------------------------------------------------------------

template <typename Render>
Reply ReadConversation(const core::Simulator& sim, const Exchange& ex, Render&& render) {
  const std::string& id = ex.Param("conversationId");
  Reply reply;
  ReadWorld(sim, ex, [&](const core::WorldView& world) {
    if (const core::Conversation* conv = world.FindConversation(id)) reply.text = render(world, *conv);
  });
  return reply.text.empty() ? ErrorReply(ex, core::ConversationNotFound(id)) : reply;
}

Reply GetConversation(const core::Simulator& sim, const Exchange& ex) {
  return ReadConversation(sim, ex, [](const core::WorldView&, const core::Conversation& conv) {
    return ConversationText(conv);
  });
}

Reply GetCallConversation(const core::Simulator& sim, const Exchange& ex) {
  return ReadConversation(sim, ex, CallConversationText);
}

// A paged entity listing as the API writes them, for `base` (a path without a query).
json PagedListing(json entities, const Paging& paging, size_t total, std::string_view base) {
  const int pages = paging.PageCount(total);
  const auto uri = [&](int page) {
    return std::string(base) + "?pageSize=" + std::to_string(paging.page_size) +
           "&pageNumber=" + std::to_string(page);
  };
  json out = {{"entities", std::move(entities)},
              {"pageSize", paging.page_size},
              {"pageNumber", paging.page_number},
              {"total", total},
              {"pageCount", pages},
              {"selfUri", uri(paging.page_number)},
              {"firstUri", uri(1)},
              {"lastUri", uri(std::max(pages, 1))}};
  if (paging.page_number < pages) out["nextUri"] = uri(paging.page_number + 1);
  if (paging.page_number > 1) {
    out["previousUri"] = uri(std::min(paging.page_number - 1, std::max(pages, 1)));
  }
  return out;
}

// The calling user's live calls, oldest first.
Reply ListCalls(const core::Simulator& sim, const Exchange& ex) {
  if (ex.caller.user_id.empty()) return ErrorReply(ex, core::ApiStatus(codes::kNotAUser));
  auto paging = ParsePaging(ex, kDefaultPageSize, kMaxPageSize);
  if (!paging.ok()) return ErrorReply(ex, paging.status());
  json entities = json::array();
  size_t total = 0;
  ReadWorld(sim, ex, [&](const core::WorldView& world) {
    const std::vector<const core::Conversation*> calls = core::LiveCallsOf(world, ex.caller.user_id);
    total = calls.size();
    const size_t end = std::min(total, paging->first() + paging->page_size);
    for (size_t i = paging->first(); i < end; ++i) {
      entities.push_back(json::parse(CallConversationText(world, *calls[i])));  // a rare listing
    }
  });
  return JsonReply(PagedListing(std::move(entities), *paging, total, routes::kCalls));
}

// GET /api/v2/conversations: the calling user's active conversations, as Conversations
// (a ConversationEntityListing; the real API does not page it).
Reply ListConversations(const core::Simulator& sim, const Exchange& ex) {
  if (ex.caller.user_id.empty()) return ErrorReply(ex, core::ApiStatus(codes::kNotAUser));
  json entities = json::array();
  ReadWorld(sim, ex, [&](const core::WorldView& world) {
    for (const core::Conversation* conv : core::LiveCallsOf(world, ex.caller.user_id)) {
      entities.push_back(json::parse(ConversationText(*conv)));  // a rare listing
    }
  });
  return JsonReply({{"entities", std::move(entities)}});
}

// --- users and routing -----------------------------------------------------------------------

json UserJson(const core::User& user) {
  return {{"id", user.id}, {"name", user.name}, {"state", "active"},
          {"selfUri", routes::FillPath(routes::kUser, {user.id})}};
}

// GET /api/v2/users/{userId} and /api/v2/users/me (the token's user).
Reply GetUser(const core::Simulator& sim, const Exchange& ex, bool me) {
  if (me && ex.caller.user_id.empty()) return ErrorReply(ex, core::ApiStatus(codes::kNotAUser));
  const std::string& id = me ? ex.caller.user_id : ex.Param("userId");
  Reply reply;
  sim.Read([&](const core::WorldView& world) {
    const core::User* user = world.FindUser(id);
    reply = user ? JsonReply(UserJson(*user)) : ErrorReply(ex, core::UserNotFound(id));
  });
  return reply;
}

// GET /api/v2/users/{userId}/routingstatus.
Reply GetRoutingStatus(const core::Simulator& sim, const Exchange& ex) {
  const std::string& id = ex.Param("userId");
  Reply reply;
  sim.Read([&](const core::WorldView& world) {
    const core::User* user = world.FindUser(id);
    if (user == nullptr) {
      reply = ErrorReply(ex, core::UserNotFound(id));
      return;
    }
    const core::UserRoutingStatus routing = core::RoutingStatusOf(world, *user);
    reply = JsonReply({{"userId", id},
                       {"status", core::ToString(routing.status)},
                       {"startTime", FormatIso8601(routing.since)}});
  });
  return reply;
}

// GET /api/v2/routing/queues: the world's queues, paged.
Reply ListQueues(const core::Simulator& sim, const Exchange& ex) {
  auto paging = ParsePaging(ex, kDefaultPageSize, kMaxPageSize);
  if (!paging.ok()) return ErrorReply(ex, paging.status());
  json entities = json::array();
  size_t total = 0;
  sim.Read([&](const core::WorldView& world) {
    total = world.queues().size();
    const size_t end = std::min(total, paging->first() + paging->page_size);
    for (size_t i = paging->first(); i < end; ++i) {
      const core::Queue& queue = world.queues()[i];
      entities.push_back({{"id", queue.id}, {"name", queue.name},
                          {"selfUri", std::string(routes::kRoutingQueues) + "/" + queue.id}});
    }
  });
  return JsonReply(PagedListing(std::move(entities), *paging, total, routes::kRoutingQueues));
}

// X-Gcsim-Ignored-Fields: the first 50 names, each cut to about 100 bytes, control characters
// (a CR or LF would end the header, a NUL cut it) shown as '?': a client's odd keys cannot make
// the header unreadable or huge.
std::string IgnoredFieldsHeader(std::vector<std::string> fields) {
  TruncateList(fields, /*kept=*/50, /*item_bytes=*/100);
  std::string value = Join(fields, ",");
  for (char& c : value) {
    if (IsControlChar(c)) c = '?';
  }
  return value;
}

// Journal notes and the answer for a write the core judged.
Reply Answer(Exchange& ex, const core::UpdateOutcome& outcome, Reply success) {
  ex.journal.ignored_fields = outcome.ignored_fields;
  ex.journal.effect = outcome.effect_text;
  ex.journal.hint = outcome.hint;
  ex.journal.drop_silent_since = outcome.drop_silent_since;
  ex.dropped_legs = outcome.dropped_legs;
  ex.journal.changed_nothing = outcome.status.ok() && outcome.changed_nothing;
  Reply reply = outcome.status.ok() ? std::move(success)
                                    : ErrorReply(ex, outcome.status, outcome.field_errors);
  if (!outcome.ignored_fields.empty()) {
    reply.headers.emplace_back(kIgnoredFieldsHeader, IgnoredFieldsHeader(outcome.ignored_fields));
  }
  return reply;
}

Reply PatchParticipant(core::Simulator& sim, Exchange& ex, core::ParticipantRoute route) {
  const core::UpdateOutcome outcome =
      sim.UpdateParticipant(ex.Param("conversationId"), ex.Param("participantId"),
                            ReadMediaParticipantRequest(ex.json), ex.caller, route);
  return Answer(ex, outcome, EmptyReply(outcome.http_status));
}

Reply PatchCommunication(core::Simulator& sim, Exchange& ex) {
  const core::UpdateOutcome outcome = sim.UpdateCommunication(
      ex.Param("conversationId"), ex.Param("participantId"), ex.Param("communicationId"),
      ReadMediaParticipantRequest(ex.json), ex.caller);
  return Answer(ex, outcome, JsonReply(json::object(), outcome.http_status));
}

Reply PostWrapup(core::Simulator& sim, Exchange& ex) {
  const core::UpdateOutcome outcome = sim.ApplyWrapup(
      ex.Param("conversationId"), ex.Param("participantId"), ex.Param("communicationId"),
      ReadWrapupRequest(ex.json), ex.caller);
  return Answer(ex, outcome, EmptyReply(outcome.http_status));
}

// Reads one participant of one conversation; the API's 404s when either is unknown.
template <typename Render>
Reply ReadParticipant(const core::Simulator& sim, const Exchange& ex, Render&& render) {
  const std::string& cid = ex.Param("conversationId");
  const std::string& pid = ex.Param("participantId");
  std::optional<Reply> reply;
  Status missing = core::ConversationNotFound(cid);
  ReadWorld(sim, ex, [&](const core::WorldView& world) {
    if (world.FindConversation(cid) == nullptr) return;
    const core::Participant* leg = world.FindParticipant(pid);
    if (leg == nullptr || leg->conversation_id() != cid) {
      missing = core::ApiStatus(codes::kNotParticipant, "Participant " + pid +
                                                            " is not a participant in conversation " +
                                                            cid + ".");
      return;
    }
    reply = render(world, *leg);
  });
  return reply ? std::move(*reply) : ErrorReply(ex, missing);
}

// The wrap-up recorded on a participant, or on its communication (gcsim's one call per leg,
// calls[0].id); {} while it has none.
Reply GetParticipantWrapup(const core::Simulator& sim, const Exchange& ex) {
  return ReadParticipant(sim, ex, [&ex](const core::WorldView&, const core::Participant& leg) {
    const std::string& communication = ex.Param("communicationId");
    if (!communication.empty() && communication != leg.id) {
      return ErrorReply(ex, core::ApiStatus(codes::kNotFound,
                                            "Communication " + communication +
                                                " is not a communication of participant " + leg.id +
                                                " (its call is calls[0].id in the conversation)."));
    }
    return JsonReply(leg.wrapup ? core::WrapupToJson(*leg.wrapup) : json::object());
  });
}

// The codes the participant's queue offers; [] for a leg not routed through a queue.
Reply GetParticipantWrapupCodes(const core::Simulator& sim, const Exchange& ex) {
  return ReadParticipant(sim, ex, [](const core::WorldView& world, const core::Participant& leg) {
    json codes = json::array();
    if (const core::Queue* queue = world.FindQueue(leg.queue_id)) {
      for (const core::WrapupCode* code : world.QueueWrapupCodes(*queue)) {
        codes.push_back(WrapupCodeJson(*code));
      }
    }
    return JsonReply(std::move(codes));
  });
}

Reply ListWrapupCodes(const core::Simulator& sim, const Exchange& ex) {
  auto paging = ParsePaging(ex, kDefaultPageSize, kMaxPageSize);
  if (!paging.ok()) return ErrorReply(ex, paging.status());
  json entities = json::array();
  size_t total = 0;
  ReadWorld(sim, ex, [&](const core::WorldView& world) {
    const std::vector<core::WrapupCode>& codes = world.wrapup_codes();
    total = codes.size();
    for (size_t i = paging->first(); i < std::min(total, paging->first() + paging->page_size); ++i) {
      entities.push_back(WrapupCodeJson(codes[i]));
    }
  });
  return JsonReply(PagedListing(std::move(entities), *paging, total, routes::kWrapupCodes));
}

Reply ListQueueWrapupCodes(const core::Simulator& sim, const Exchange& ex) {
  auto paging = ParsePaging(ex, kDefaultPageSize, kMaxPageSize);
  if (!paging.ok()) return ErrorReply(ex, paging.status());
  const std::string& queue_id = ex.Param("queueId");
  bool found = false;
  json entities = json::array();
  size_t total = 0;
  ReadWorld(sim, ex, [&](const core::WorldView& world) {
    const core::Queue* queue = world.FindQueue(queue_id);
    if (queue == nullptr) return;
    found = true;
    const std::vector<const core::WrapupCode*> codes = world.QueueWrapupCodes(*queue);
    total = codes.size();
    for (size_t i = paging->first(); i < std::min(total, paging->first() + paging->page_size); ++i) {
      entities.push_back(WrapupCodeJson(*codes[i]));
    }
  });
  if (!found) return ErrorReply(ex, core::ApiStatus(codes::kNotFound, "Queue " + queue_id + " not found."));
  return JsonReply(PagedListing(std::move(entities), *paging, total,
                                routes::FillPath(routes::kQueueWrapupCodes, {queue_id})));
}

Reply PatchConversation(core::Simulator& sim, Exchange& ex) {
  const core::UpdateOutcome outcome =
      sim.UpdateConversation(ex.Param("conversationId"), ReadConversationUpdateRequest(ex.json));
  // The published operation answers a Conversation, not the CallConversation a GET shows.
  return Answer(ex, outcome, outcome.status.ok() ? GetConversation(sim, ex) : Reply{});
}

Reply Replace(core::Simulator& sim, Exchange& ex) {
  const core::UpdateOutcome outcome = sim.ReplaceParticipant(
      ex.Param("conversationId"), ex.Param("participantId"), ReadTransferRequest(ex.json));
  return Answer(ex, outcome, EmptyReply(outcome.http_status));
}

// POST (start, with a destination) and PATCH (speakTo) of a consult: a ConsultTransferResponse.
Reply Consult(core::Simulator& sim, Exchange& ex, bool start) {
  const core::ConsultRequest request = ReadConsultRequest(ex.json, start);
  const std::string& cid = ex.Param("conversationId");
  const std::string& pid = ex.Param("participantId");
  const core::UpdateOutcome outcome = start ? sim.StartConsult(cid, pid, request, ex.caller)
                                            : sim.UpdateConsult(cid, pid, request);
  return Answer(ex, outcome,
                JsonReply({{"destinationParticipantId", outcome.added_participant_id}},
                          outcome.http_status));
}

Reply CancelConsult(core::Simulator& sim, Exchange& ex) {
  const core::UpdateOutcome outcome =
      sim.CancelConsult(ex.Param("conversationId"), ex.Param("participantId"));
  return Answer(ex, outcome, EmptyReply(outcome.http_status));
}

// An operation of the real API that gcsim does not model: a 501 that says so, never a
// silent success.
Reply NotModelled(const Exchange& ex, const std::string& what) {
  return ErrorReply(ex, core::ApiStatus(codes::kNotImplemented,
                                        "gcsim does not model " + what + " (" + ex.method + " " +
                                            ex.path + "); see the README's endpoint table."));
}

Reply Disconnect(core::Simulator& sim, Exchange& ex) {
  const core::UpdateOutcome outcome = sim.DisconnectConversation(ex.Param("conversationId"));
  return Answer(ex, outcome, EmptyReply(outcome.http_status));
}

Reply CreateCall(core::Simulator& sim, Exchange& ex) {
  auto request = ReadCreateCallRequest(ex.json);
  if (!request.ok()) return ErrorReply(ex, request.status());
  auto id = sim.CreateCall(*request, ex.caller);
  if (!id.ok()) return ErrorReply(ex, id.status());
  ex.journal.conversation_id = *id;
  ex.journal.effect = "call created";
  return JsonReply({{"id", *id}, {"selfUri", ConversationUri(*id)}});
}

Reply AddParticipants(core::Simulator& sim, Exchange& ex) {
  auto ids =
      sim.AddParticipants(ex.Param("conversationId"), ReadAddParticipantsRequest(ex.json));
  if (!ids.ok()) return ErrorReply(ex, ids.status());
  ex.journal.effect = "participants added: " + Join(*ids, ", ");
  return GetConversation(sim, ex);
}

Reply Analytics(Exchange& ex, const Result<json>& result) {
  return result.ok() ? JsonReply(*result) : ErrorReply(ex, result.status());
}

}  // namespace

void AddGenesysRoutes(Router& router, core::Simulator& sim) {
  core::Simulator* s = &sim;
  const auto api = [&router](std::string method, std::string_view pattern, BodyKind body,
                             Handler handler, Reads reads = Reads::kWorldAsItIs) {
    router.Add({.method = std::move(method),
                .pattern = std::string(pattern),
                .access = Access::kBearer,
                .body = body,
                .reads = reads,
                .handler = std::move(handler)});
  };
  router.Add({.method = "POST",
              .pattern = std::string(routes::kOAuthToken),
              .body = BodyKind::kForm,
              .handler = [s](Exchange& ex) { return IssueToken(*s, ex); }});

  api("GET", routes::kConversation, BodyKind::kNone,
      [s](Exchange& ex) { return GetConversation(*s, ex); }, Reads::kConversation);
  api("GET", routes::kCall, BodyKind::kNone,
      [s](Exchange& ex) { return GetCallConversation(*s, ex); }, Reads::kConversation);
  api("GET", routes::kCalls, BodyKind::kNone,
      [s](Exchange& ex) { return ListCalls(*s, ex); }, Reads::kConversation);
  api("GET", routes::kConversations, BodyKind::kNone,
      [s](Exchange& ex) { return ListConversations(*s, ex); }, Reads::kConversation);
  api("GET", routes::kUserMe, BodyKind::kNone, [s](Exchange& ex) { return GetUser(*s, ex, true); });
  api("GET", routes::kUser, BodyKind::kNone, [s](Exchange& ex) { return GetUser(*s, ex, false); });
  api("GET", routes::kUserRoutingStatus, BodyKind::kNone,
      [s](Exchange& ex) { return GetRoutingStatus(*s, ex); });
  api("GET", routes::kRoutingQueues, BodyKind::kNone, [s](Exchange& ex) { return ListQueues(*s, ex); });
  api("PATCH", routes::kConversationParticipant, BodyKind::kJson,
      [s](Exchange& ex) { return PatchParticipant(*s, ex, core::ParticipantRoute::kGeneric); });
  api("PATCH", routes::kCallParticipant, BodyKind::kJson,
      [s](Exchange& ex) { return PatchParticipant(*s, ex, core::ParticipantRoute::kCall); });
  api("PATCH", routes::kCallParticipantCommunication, BodyKind::kJson,
      [s](Exchange& ex) { return PatchCommunication(*s, ex); });
  api("POST", routes::kCallParticipantCommunicationWrapup, BodyKind::kJson,
      [s](Exchange& ex) { return PostWrapup(*s, ex); });
  api("GET", routes::kCallParticipantCommunicationWrapup, BodyKind::kNone,
      [s](Exchange& ex) { return GetParticipantWrapup(*s, ex); }, Reads::kConversation);
  api("GET", routes::kCallParticipantWrapup, BodyKind::kNone,
      [s](Exchange& ex) { return GetParticipantWrapup(*s, ex); }, Reads::kConversation);
  api("GET", routes::kCallParticipantWrapupCodes, BodyKind::kNone,
      [s](Exchange& ex) { return GetParticipantWrapupCodes(*s, ex); }, Reads::kConversation);
  api("GET", routes::kWrapupCodes, BodyKind::kNone,
      [s](Exchange& ex) { return ListWrapupCodes(*s, ex); });
  api("GET", routes::kQueueWrapupCodes, BodyKind::kNone,
      [s](Exchange& ex) { return ListQueueWrapupCodes(*s, ex); });
  api("PATCH", routes::kCall, BodyKind::kJson,
      [s](Exchange& ex) { return PatchConversation(*s, ex); });
  api("POST", routes::kCallParticipantReplace, BodyKind::kJson,
      [s](Exchange& ex) { return Replace(*s, ex); });
  api("POST", routes::kCallParticipantConsult, BodyKind::kJson,
      [s](Exchange& ex) { return Consult(*s, ex, true); });
  api("PATCH", routes::kCallParticipantConsult, BodyKind::kJson,
      [s](Exchange& ex) { return Consult(*s, ex, false); });
  api("DELETE", routes::kCallParticipantConsult, BodyKind::kNone,
      [s](Exchange& ex) { return CancelConsult(*s, ex); });
  api("DELETE", routes::kConversation, BodyKind::kNone,
      [](Exchange& ex) { return NotModelled(ex, "deleting a conversation"); });
  api("PATCH", routes::kCallConference, BodyKind::kJson,
      [](Exchange& ex) { return NotModelled(ex, "conference updates"); });
  api("POST", routes::kConversationDisconnect, BodyKind::kNone,
      [s](Exchange& ex) { return Disconnect(*s, ex); });
  api("POST", routes::kCalls, BodyKind::kJson,
      [s](Exchange& ex) { return CreateCall(*s, ex); });
  api("POST", routes::kCallParticipants, BodyKind::kJson,
      [s](Exchange& ex) { return AddParticipants(*s, ex); });
  api("POST", routes::kConversationDetailsQuery, BodyKind::kJson,
      [s, pages = std::make_shared<core::DetailQueryCache>()](Exchange& ex) {
        return Analytics(ex, QueryConversationDetails(*s, ex.json, ex.stale_lag, pages.get()));
      },
      Reads::kAnalytics);
  api("GET", routes::kConversationDetails, BodyKind::kNone,
      [s](Exchange& ex) {
        return Analytics(ex, ConversationDetails(*s, ex.Param("conversationId"), ex.stale_lag));
      },
      Reads::kAnalytics);
  api("POST", routes::kQueueObservationsQuery, BodyKind::kJson,
      [s](Exchange& ex) { return Analytics(ex, QueryQueueObservations(*s, ex.json, ex.stale_lag)); },
      Reads::kAnalytics);
}

}  // namespace gcsim::http
