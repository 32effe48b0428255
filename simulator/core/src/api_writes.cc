#include "api_writes.h"

#include <algorithm>
#include <unordered_set>

#include "gcsim/common/strings.h"
#include "gcsim/core/api_errors.h"
#include "world_builder.h"

namespace gcsim::core {
namespace {

using nlohmann::json;

constexpr char kDropHint[] =
    "the API ignores fields it does not know; only {\"state\":\"disconnected\"} drops a leg";

UpdateOutcome& Refuse(UpdateOutcome& out, Status status) {
  out.status = std::move(status);
  out.http_status = HttpStatusOf(out.status);
  out.effect = Effect::kNoChange;
  out.effect_text = "refused: " + out.status.message();
  return out;
}

UpdateOutcome& RefuseField(UpdateOutcome& out, const std::string& field, std::string_view code,
                           std::string message) {
  Status status = ApiStatus(code, std::move(message));
  out.field_errors.push_back({field, std::string(code), status.message()});
  return Refuse(out, std::move(status));
}

Result<std::vector<LegSpec>> ParseDestinations(const json& list, const std::string& field) {
  if (!list.is_array()) return ApiStatus(codes::kBadRequest, "Field " + field + " must be an array.");
  std::vector<LegSpec> legs;
  for (const json& item : list) {
    if (!item.is_object()) {
      return ApiStatus(codes::kBadRequest, "Each of " + field + " must be an object.");
    }
    LegSpec leg{.purpose = Purpose::kExternal};
    for (const char* key : {"address", "name", "userId", "queueId"}) {
      if (item.contains(key) && !item[key].is_string()) {
        return ApiStatus(codes::kBadRequest, field + "[]." + key + " must be a string.");
      }
    }
    leg.address = item.value("address", "");
    leg.name = item.value("name", "");
    leg.user_id = item.value("userId", "");
    leg.queue_id = item.value("queueId", "");
    if (!leg.user_id.empty()) leg.purpose = Purpose::kUser;
    else if (!leg.queue_id.empty()) leg.purpose = Purpose::kAcd;
    else if (leg.address.empty()) {
      return ApiStatus(codes::kBadRequest, field + "[] needs an address, userId or queueId.");
    }
    legs.push_back(std::move(leg));
  }
  return legs;
}

}  // namespace

ApiWrites::ApiWrites(WorldState& world, IdGenerator& ids, LegLifecycle& lifecycle, Clock& clock,
                     const WorldLimits& limits)
    : world_(world), ids_(ids), lifecycle_(lifecycle), clock_(clock), limits_(limits) {}

UpdateOutcome ApiWrites::UpdateParticipant(const std::string& conversation_id,
                                         const std::string& participant_id, const json& body,
                                         const Caller& caller, ParticipantRoute route,
                                         Profile profile) {
  UpdateOutcome out;
  if (!body.is_object()) {
    return Refuse(out, ApiStatus(codes::kBadRequest,
                                 "The request body must be a JSON object (MediaParticipantRequest)."));
  }
  Conversation* conv = world_.FindConversation(conversation_id);
  if (conv == nullptr) return Refuse(out, ConversationNotFound(conversation_id));
  Participant* leg = world_.FindLeg(participant_id);
  if (leg == nullptr || leg->conversation_id != conversation_id) {
    return Refuse(out, ApiStatus(codes::kNotParticipant,
                                 "Participant " + participant_id +
                                     " is not a participant in conversation " + conversation_id + "."));
  }
  if (route == ParticipantRoute::kCall && profile != Profile::kObserved && caller.user_id.empty()) {
    return Refuse(out, ApiStatus(codes::kNotAUser));
  }

  static const std::unordered_set<std::string> kKnown = {
      "wrapup", "state", "recording", "muted", "confined", "held", "wrapupSkipped", "resumeTime"};
  for (const auto& [key, unused] : body.items()) {
    if (!kKnown.count(key)) out.ignored_fields.push_back(key);
  }
  // Read before the strict check, so that unknown WrapupInput keys count as unknown fields.
  std::optional<Wrapup> wrapup;
  if (body.contains("wrapup")) {
    auto parsed = ParseWrapup(body["wrapup"], out.ignored_fields);
    if (!parsed.ok()) {
      return RefuseField(out, "wrapup", codes::kBadRequest, parsed.status().message());
    }
    wrapup = std::move(*parsed);
    std::sort(out.ignored_fields.begin(), out.ignored_fields.end());
  }
  if (!out.ignored_fields.empty()) out.hint = kDropHint;
  if (profile == Profile::kStrict && !out.ignored_fields.empty()) {
    for (const auto& field : out.ignored_fields) {
      out.field_errors.push_back({field, "unknown.field", "Unrecognized field " + field});
    }
    return Refuse(out, ApiStatus(codes::kBadRequest,
                                 "Unrecognized field(s) in MediaParticipantRequest: " +
                                     Join(out.ignored_fields, ", ") + ". Only state: disconnected drops a leg."));
  }

  // Validate everything first: a refused request changes nothing.
  std::optional<LegState> state;
  if (body.contains("state")) {
    const json& value = body["state"];
    if (!value.is_string()) return RefuseField(out, "state", codes::kBadRequest, "Field state must be a string.");
    state = ParseLegState(value.get<std::string>());
    if (!state) {
      return RefuseField(out, "state", codes::kInvalidValue,
                         "Value [" + value.get<std::string>() +
                             "] is not valid for field type [state]. Allowable values are: " +
                             AllLegStates());
    }
    if (*state != LegState::kConnected && *state != LegState::kDisconnected) {
      return RefuseField(out, "state", codes::kBadRequest,
                         "A participant's state can only be set to connected or disconnected.");
    }
  }
  struct FlagField {
    const char* name;
    bool Participant::*member;
  };
  static constexpr FlagField kFlags[] = {{"held", &Participant::held},
                                         {"muted", &Participant::muted},
                                         {"confined", &Participant::confined},
                                         {"recording", &Participant::recording},
                                         {"wrapupSkipped", &Participant::wrapup_skipped}};
  for (const FlagField& flag : kFlags) {
    if (body.contains(flag.name) && !body[flag.name].is_boolean()) {
      return RefuseField(out, flag.name, codes::kBadRequest,
                         std::string("Field ") + flag.name + " must be true or false.");
    }
  }
  if (body.contains("resumeTime") &&
      (!body["resumeTime"].is_string() || !ParseIso8601(body["resumeTime"].get<std::string>()).ok())) {
    return RefuseField(out, "resumeTime", codes::kInvalidDate, "");
  }
  const bool live = IsLive(leg->state);
  if (state == LegState::kDisconnected && !live) return Refuse(out, ApiStatus(codes::kCallDisconnected));
  for (const FlagField& flag : kFlags) {
    if (!body.contains(flag.name) || flag.member == &Participant::wrapup_skipped) continue;
    const bool wanted = body[flag.name].get<bool>();
    if (wanted == leg->*flag.member) continue;
    if (!live) return Refuse(out, ApiStatus(codes::kCallDisconnected));
    if (flag.member == &Participant::held && wanted && leg->state == LegState::kAlerting) {
      return Refuse(out, ApiStatus(codes::kHoldAlerting));
    }
  }

  // Apply.
  const TimePoint now = clock_.Now();
  std::vector<std::string> changes;
  for (const FlagField& flag : kFlags) {
    if (!body.contains(flag.name)) continue;
    const bool wanted = body[flag.name].get<bool>();
    if (wanted == leg->*flag.member) continue;
    lifecycle_.ChangeLeg(*leg, now, [&](Participant& p) { p.*flag.member = wanted; });
    changes.push_back(std::string(flag.name) + " " + (wanted ? "false -> true" : "true -> false"));
  }
  if (wrapup) {
    leg->wrapup = std::move(*wrapup);
    changes.push_back("wrapup recorded");
  }
  if (body.contains("resumeTime")) changes.push_back("resumeTime recorded");
  if (state == LegState::kConnected && leg->state == LegState::kAlerting) {
    lifecycle_.Answer(*leg, now);
    changes.push_back("answered: alerting -> connected");
  }
  if (state == LegState::kDisconnected) {
    out.drop_silent_since = ComputeMedia(*leg, now).silent_since;
    if (leg->pending_drop != 0) {
      changes.push_back("drop already accepted; it lands after disconnectLatency");
    } else {
      changes.push_back("drop accepted: the leg disconnects at " +
                        FormatIso8601(now + lifecycle_.disconnect_latency()) + " (disconnectLatency " +
                        FormatDuration(lifecycle_.disconnect_latency()) + ")");
      lifecycle_.ScheduleDrop(*leg, now);
    }
  }

  out.effect = changes.empty() ? Effect::kNoChange : Effect::kAccepted;
  out.http_status = profile == Profile::kObserved && changes.empty() ? 204 : 202;
  if (changes.empty()) {
    out.effect_text = out.ignored_fields.empty()
                          ? "nothing changed: every field already had the value sent"
                          : "nothing changed: no field the API acts on (ignored: " +
                                Join(out.ignored_fields, ", ") + "); the leg stays " +
                                ToString(leg->state);
  } else {
    out.effect_text = Join(changes, "; ");
  }
  return out;
}

UpdateOutcome ApiWrites::UpdateConversation(const std::string& conversation_id, const json& body) {
  UpdateOutcome out;
  if (!body.is_object()) {
    return Refuse(out, ApiStatus(codes::kBadRequest, "The request body must be a JSON object."));
  }
  Conversation* conv = world_.FindConversation(conversation_id);
  if (conv == nullptr) return Refuse(out, ConversationNotFound(conversation_id));
  for (const auto& [key, unused] : body.items()) {
    if (key != "state") out.ignored_fields.push_back(key);
  }
  if (!body.contains("state")) {
    out.http_status = 200;
    out.effect_text = "nothing changed: only {\"state\":\"disconnected\"} ends a conversation";
    return out;
  }
  const json& value = body["state"];
  const auto state = value.is_string() ? ParseLegState(value.get<std::string>()) : std::nullopt;
  if (!state) {
    return RefuseField(out, "state", codes::kInvalidValue,
                       "Value [" + (value.is_string() ? value.get<std::string>() : value.dump()) +
                           "] is not valid for field type [state]. Allowable values are: " +
                           AllLegStates());
  }
  if (*state != LegState::kDisconnected) {
    return RefuseField(out, "state", codes::kBadRequest,
                       "A conversation's state can only be set to disconnected.");
  }
  return EndLater(*conv, out, 200);
}

UpdateOutcome ApiWrites::DisconnectConversation(const std::string& conversation_id) {
  UpdateOutcome out;
  Conversation* conv = world_.FindConversation(conversation_id);
  if (conv == nullptr) return Refuse(out, ConversationNotFound(conversation_id));
  return EndLater(*conv, out, 202);
}

Result<std::string> ApiWrites::CreateCall(const json& body, const Caller& caller) {
  if (!body.is_object()) {
    return ApiStatus(codes::kBadRequest, "The request body must be a JSON object (CreateCallRequest).");
  }
  if (body.contains("conversationIds")) {
    return ApiStatus(codes::kBadRequest,
                     "gcsim does not model conversationIds (merging calls into a conference) yet; "
                     "add participants to one call instead.");
  }
  ConversationSpec spec;
  if (!caller.user_id.empty()) {
    spec.legs.push_back({.purpose = Purpose::kUser, .user_id = caller.user_id, .direction = "outbound"});
  }
  for (const char* field : {"phoneNumber", "callUserId", "callQueueId", "callFromQueueId"}) {
    if (body.contains(field) && !body[field].is_string()) {
      return ApiStatus(codes::kBadRequest, std::string("Field ") + field + " must be a string.");
    }
  }
  if (body.contains("phoneNumber")) {
    spec.legs.push_back({.purpose = Purpose::kExternal,
                         .address = "tel:" + body["phoneNumber"].get<std::string>(),
                         .direction = "outbound"});
  }
  if (body.contains("callUserId")) {
    spec.legs.push_back({.purpose = Purpose::kUser, .user_id = body["callUserId"].get<std::string>()});
  }
  if (body.contains("callQueueId")) {
    spec.legs.push_back({.purpose = Purpose::kAcd, .queue_id = body["callQueueId"].get<std::string>()});
  }
  if (body.contains("participants")) {
    auto legs = ParseDestinations(body["participants"], "participants");
    if (!legs.ok()) return legs.status();
    spec.legs.insert(spec.legs.end(), legs->begin(), legs->end());
  }
  if (spec.legs.size() - (caller.user_id.empty() ? 0 : 1) == 0) {
    return ApiStatus(codes::kBadRequest,
                     "A CreateCallRequest needs phoneNumber, callUserId, callQueueId or participants.");
  }
  if (Status valid = CheckReferences(world_, spec.legs); !valid.ok()) return valid;
  return AddConversation(spec);
}

Result<std::vector<std::string>> ApiWrites::AddParticipants(const std::string& conversation_id,
                                                          const json& body) {
  Conversation* conv = world_.FindConversation(conversation_id);
  if (conv == nullptr) return ConversationNotFound(conversation_id);
  if (!body.is_object() || !body.contains("participants")) {
    return ApiStatus(codes::kBadRequest, "The request body must be a Conversation with participants[].");
  }
  auto legs = ParseDestinations(body["participants"], "participants");
  if (!legs.ok()) return legs.status();
  if (legs->empty()) return ApiStatus(codes::kBadRequest, "participants[] is empty.");
  if (Status valid = CheckReferences(world_, *legs); !valid.ok()) return valid;
  if (conv->end_time) return ApiStatus(codes::kCallDisconnected, "The conversation has ended.");
  if (Status fits = CheckGrowth(world_, limits_, 0, legs->size()); !fits.ok()) return fits;
  std::vector<std::string> ids;
  for (const LegSpec& spec : *legs) {
    auto id = AddLeg(*conv, spec);
    if (!id.ok()) return id.status();
    ids.push_back(*id);
  }
  return ids;
}

Result<std::string> ApiWrites::AddConversation(const ConversationSpec& spec) {
  if (Status fits = CheckGrowth(world_, limits_, 1, spec.legs.size()); !fits.ok()) return fits;
  return AddConversationTo(world_, ids_, spec, clock_.Now());
}

Result<std::string> ApiWrites::AddLeg(Conversation& conv, const LegSpec& spec) {
  if (Status fits = CheckGrowth(world_, limits_, 0, 1); !fits.ok()) return fits;
  return AddLegTo(world_, ids_, conv, spec, clock_.Now());
}

UpdateOutcome& ApiWrites::EndLater(Conversation& conv, UpdateOutcome& out, int http_status) {
  if (conv.end_time) return Refuse(out, ApiStatus(codes::kCallDisconnected));
  out.effect = Effect::kAccepted;
  out.http_status = http_status;
  if (conv.pending_end != 0) {
    out.effect_text = "conversation end already accepted";
    return out;
  }
  const TimePoint now = clock_.Now();
  for (const Participant* leg : conv.participants) {
    if (!IsLive(leg->state)) continue;
    const TimePoint silent_since = ComputeMedia(*leg, now).silent_since;
    out.drop_silent_since = std::max(out.drop_silent_since.value_or(silent_since), silent_since);
  }
  out.effect_text = "conversation end accepted: every leg terminates at " +
                    FormatIso8601(now + lifecycle_.disconnect_latency());
  lifecycle_.ScheduleEnd(conv, now);
  return out;
}

}  // namespace gcsim::core
