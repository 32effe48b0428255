#include "api_writes.h"

#include <algorithm>

#include "gcsim/common/strings.h"
#include "gcsim/core/api_errors.h"
#include "world_builder.h"

namespace gcsim::core {
namespace {

constexpr char kDropHint[] =
    "the API ignores fields it does not know; only {\"state\":\"disconnected\"} drops a leg";

UpdateOutcome& Refuse(UpdateOutcome& out, Status status) {
  out.status = std::move(status);
  out.http_status = HttpStatusOf(out.status);
  out.effect_text = "refused: " + out.status.message();
  return out;
}

UpdateOutcome& RefuseField(UpdateOutcome& out, const std::string& field, std::string_view code,
                           std::string message) {
  Status status = ApiStatus(code, std::move(message));
  out.field_errors.push_back({field, std::string(code), status.message()});
  return Refuse(out, std::move(status));
}

}  // namespace

ApiWrites::ApiWrites(WorldState& world, IdGenerator& ids, LegLifecycle& lifecycle, Clock& clock,
                     const WorldLimits& limits, FaultBook& faults)
    : world_(world), ids_(ids), lifecycle_(lifecycle), clock_(clock), limits_(limits), faults_(faults) {}

UpdateOutcome ApiWrites::UpdateParticipant(const std::string& conversation_id,
                                           const std::string& participant_id,
                                           const MediaParticipantRequest& request,
                                           const Caller& caller, ParticipantRoute route,
                                           Profile profile) {
  UpdateOutcome out;
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

  out.ignored_fields = request.unknown_fields;
  // Before the strict check, so that unknown WrapupInput keys count as unknown fields.
  if (request.wrapup_error) {
    return RefuseField(out, "wrapup", codes::kBadRequest, *request.wrapup_error);
  }
  if (!out.ignored_fields.empty()) out.hint = kDropHint;
  if (profile == Profile::kStrict && !out.ignored_fields.empty()) {
    for (const auto& field : out.ignored_fields) {
      out.field_errors.push_back({field, "unknown.field", "Unrecognized field " + field});
    }
    return Refuse(out, ApiStatus(codes::kBadRequest,
                                 "Unrecognized field(s) in MediaParticipantRequest: " +
                                     Join(out.ignored_fields, ", ") +
                                     ". Only state: disconnected drops a leg."));
  }

  // Validate everything first: a refused request changes nothing.
  std::optional<LegState> state;
  if (request.state.present) {
    if (!request.state.value) {
      return RefuseField(out, "state", codes::kBadRequest, "Field state must be a string.");
    }
    const std::string& text = *request.state.value;
    state = ParseLegState(text);
    if (!state) {
      return RefuseField(out, "state", codes::kInvalidValue,
                         "Value [" + text +
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
    Sent<bool> MediaParticipantRequest::*sent;
    bool Participant::*member;
  };
  static constexpr FlagField kFlags[] = {
      {"held", &MediaParticipantRequest::held, &Participant::held},
      {"muted", &MediaParticipantRequest::muted, &Participant::muted},
      {"confined", &MediaParticipantRequest::confined, &Participant::confined},
      {"recording", &MediaParticipantRequest::recording, &Participant::recording},
      {"wrapupSkipped", &MediaParticipantRequest::wrapup_skipped, &Participant::wrapup_skipped}};
  for (const FlagField& flag : kFlags) {
    if ((request.*flag.sent).wrong_type()) {
      return RefuseField(out, flag.name, codes::kBadRequest,
                         std::string("Field ") + flag.name + " must be true or false.");
    }
  }
  if (request.resume_time.wrong_type()) {
    return RefuseField(out, "resumeTime", codes::kInvalidDate, "");
  }
  const bool live = IsLive(leg->state);
  if (state == LegState::kDisconnected && !live) return Refuse(out, ApiStatus(codes::kCallDisconnected));
  for (const FlagField& flag : kFlags) {
    const Sent<bool>& wanted = request.*flag.sent;
    if (!wanted.present || flag.member == &Participant::wrapup_skipped) continue;
    if (Status allowed = LegLifecycle::CheckFlag(*leg, flag.member, *wanted.value); !allowed.ok()) {
      return Refuse(out, std::move(allowed));
    }
  }

  // Apply.
  const TimePoint now = clock_.Now();
  std::vector<std::string> changes;
  for (const FlagField& flag : kFlags) {
    const Sent<bool>& wanted = request.*flag.sent;
    if (!wanted.present || *wanted.value == leg->*flag.member) continue;
    lifecycle_.ChangeLeg(*leg, now, [&](Participant& p) { p.*flag.member = *wanted.value; });
    changes.push_back(std::string(flag.name) + " " +
                      (*wanted.value ? "false -> true" : "true -> false"));
  }
  if (request.wrapup) {
    leg->wrapup = *request.wrapup;
    changes.push_back("wrapup recorded");
  }
  if (request.resume_time.present) changes.push_back("resumeTime recorded");
  if (state == LegState::kConnected && leg->state == LegState::kAlerting) {
    lifecycle_.Answer(*leg, now);
    changes.push_back("answered: alerting -> connected");
  }
  if (state == LegState::kDisconnected) {
    out.drop_silent_since = ComputeMedia(*leg, now).silent_since;
    if (leg->pending_drop != 0) {
      changes.push_back("drop already accepted; it lands after disconnectLatency");
    } else if (const auto lost = faults_.Hit({.method = "PATCH",
                                              .client_id = caller.client_id,
                                              .conversation_id = conversation_id,
                                              .participant_id = participant_id},
                                             {FaultKind::kLostDrop, FaultKind::kStuckMedia}, now)) {
      changes.push_back("drop accepted, then lost (fault " + lost->id + " " + ToString(lost->kind) +
                        "): the leg stays connected");
    } else {
      changes.push_back("drop accepted: the leg disconnects at " +
                        FormatIso8601(now + lifecycle_.disconnect_latency()) + " (disconnectLatency " +
                        FormatDuration(lifecycle_.disconnect_latency()) + ")");
      lifecycle_.ScheduleDrop(*leg, now);
    }
  }

  out.http_status = profile == Profile::kObserved && changes.empty() ? 204 : 202;
  out.changed_nothing = changes.empty();
  // The field report: after such a PATCH the supervisor view showed the user idle while the leg
  // stayed up (not documented behaviour; the observed profile reproduces it).
  const bool reads_idle = profile == Profile::kObserved && changes.empty() && live &&
                          !leg->user_id.empty() && !leg->reads_idle_since;
  if (reads_idle) leg->reads_idle_since = now;
  if (changes.empty()) {
    out.effect_text = out.ignored_fields.empty()
                          ? "nothing changed: every field already had the value sent"
                          : "nothing changed: no field the API acts on (ignored: " +
                                Join(out.ignored_fields, ", ") + "); the leg stays " +
                                ToString(leg->state);
    if (reads_idle) out.effect_text += "; the user's routing status now reads IDLE (the field report's phantom)";
  } else {
    out.effect_text = Join(changes, "; ");
  }
  return out;
}

UpdateOutcome ApiWrites::UpdateConversation(const std::string& conversation_id,
                                            const ConversationUpdateRequest& request) {
  UpdateOutcome out;
  Conversation* conv = world_.FindConversation(conversation_id);
  if (conv == nullptr) return Refuse(out, ConversationNotFound(conversation_id));
  out.ignored_fields = request.unknown_fields;
  if (!request.state) {
    out.http_status = 200;
    out.changed_nothing = true;
    out.effect_text = "nothing changed: only {\"state\":\"disconnected\"} ends a conversation";
    return out;
  }
  const auto state = request.state_is_string ? ParseLegState(*request.state) : std::nullopt;
  if (!state) {
    return RefuseField(out, "state", codes::kInvalidValue,
                       "Value [" + *request.state +
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

Result<std::string> ApiWrites::CreateCall(const CreateCallRequest& request, const Caller& caller) {
  ConversationSpec spec;
  // A user-context token calls from its user's phone.
  if (!caller.user_id.empty()) {
    spec.legs.push_back({.purpose = Purpose::kUser, .user_id = caller.user_id, .direction = "outbound"});
  }
  if (request.phone_number) {
    spec.legs.push_back({.purpose = Purpose::kExternal,
                         .address = "tel:" + *request.phone_number,
                         .direction = "outbound"});
  }
  if (request.call_user_id) {
    spec.legs.push_back({.purpose = Purpose::kUser, .user_id = *request.call_user_id});
  }
  if (request.call_queue_id) {
    spec.legs.push_back({.purpose = Purpose::kAcd, .queue_id = *request.call_queue_id});
  }
  spec.legs.insert(spec.legs.end(), request.participants.begin(), request.participants.end());
  if (spec.legs.size() - (caller.user_id.empty() ? 0 : 1) == 0) {
    return ApiStatus(codes::kBadRequest,
                     "A CreateCallRequest needs phoneNumber, callUserId, callQueueId or participants.");
  }
  if (Status valid = CheckReferences(world_, spec.legs); !valid.ok()) return valid;
  return AddConversation(spec);
}

Result<std::vector<std::string>> ApiWrites::AddParticipants(const std::string& conversation_id,
                                                           const AddParticipantsRequest& request) {
  Conversation* conv = world_.FindConversation(conversation_id);
  if (conv == nullptr) return ConversationNotFound(conversation_id);
  if (!request.malformed.ok()) return request.malformed;
  const std::vector<LegSpec>& legs = request.participants;
  if (legs.empty()) return ApiStatus(codes::kBadRequest, "participants[] is empty.");
  if (Status valid = CheckReferences(world_, legs); !valid.ok()) return valid;
  if (conv->end_time) return ApiStatus(codes::kCallDisconnected, "The conversation has ended.");
  if (Status fits = CheckGrowth(world_, limits_, 0, legs.size()); !fits.ok()) return fits;
  std::vector<std::string> ids;
  for (const LegSpec& spec : legs) {
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
