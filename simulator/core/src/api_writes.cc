#include "api_writes.h"

#include <algorithm>

#include "gcsim/common/routes.h"
#include "gcsim/common/strings.h"
#include "gcsim/core/api_errors.h"
#include "world_builder.h"

namespace gcsim::core {
namespace {

constexpr char kDropHint[] =
    "the API ignores fields it does not know; only {\"state\":\"disconnected\"} drops a leg";

// Fields a client sends when it means to disposition the call: the API knows none of them.
bool MeansWrapup(const std::string& field) {
  static constexpr std::string_view kDispositionFields[] = {
      "dispositionCode", "disposition", "wrapupCode", "wrapUpCode", "wrapUp"};
  return std::find(std::begin(kDispositionFields), std::end(kDispositionFields), field) !=
         std::end(kDispositionFields);
}

// What the journal tells a caller whose fields were ignored; a disposition field gets the
// wrap-up call it meant, with this leg's ids filled in.
std::string IgnoredFieldsHint(const std::vector<std::string>& ignored, const Participant& leg) {
  std::string hint = kDropHint;
  if (std::any_of(ignored.begin(), ignored.end(), MeansWrapup)) {
    hint += "; to disposition the call, drop the leg, then send the wrap-up: POST ";
    hint += routes::FillPath(routes::kCallParticipantCommunicationWrapup,
                             {leg.conversation_id(), leg.id, leg.id});
    hint += " with {\"code\":\"<wrap-up code id>\"} (or {\"wrapup\":{\"code\":...}} in "
            "this PATCH); GET /api/v2/routing/wrapupcodes lists the codes";
  }
  return hint;
}

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

// A live leg asked to drop, as it is before the drop: what its safety is judged from.
void NoteDrop(UpdateOutcome& out, const Participant& leg, TimePoint now) {
  const TimePoint silent_since = ComputeMedia(leg, now).silent_since;
  out.drop_silent_since = std::max(out.drop_silent_since.value_or(silent_since), silent_since);
  out.dropped_legs.push_back(leg);
}

}  // namespace

std::optional<SpeakTo> ParseSpeakTo(const std::string& text) {
  for (const SpeakTo value : {SpeakTo::kDestination, SpeakTo::kObject, SpeakTo::kBoth,
                              SpeakTo::kConference}) {
    if (text == ToString(value)) return value;
  }
  return std::nullopt;
}

const char* ToString(SpeakTo speak_to) {
  switch (speak_to) {
    case SpeakTo::kDestination: return "DESTINATION";
    case SpeakTo::kObject: return "OBJECT";
    case SpeakTo::kBoth: return "BOTH";
    case SpeakTo::kConference: return "CONFERENCE";
  }
  return "DESTINATION";
}

ApiWrites::ApiWrites(WorldState& world, IdGenerator& ids, LegLifecycle& lifecycle, Clock& clock,
                     const WorldLimits& limits, FaultBook& faults)
    : world_(world), ids_(ids), lifecycle_(lifecycle), clock_(clock), limits_(limits), faults_(faults) {}

Participant* ApiWrites::FindTarget(const std::string& conversation_id,
                                   const std::string& participant_id,
                                   const std::string* communication_id, UpdateOutcome& out) {
  if (world_.FindConversation(conversation_id) == nullptr) {
    Refuse(out, ConversationNotFound(conversation_id));
    return nullptr;
  }
  Participant* leg = world_.FindLeg(participant_id);
  if (leg == nullptr || leg->conversation_id() != conversation_id) {
    Refuse(out, ApiStatus(codes::kNotParticipant,
                          "Participant " + participant_id +
                              " is not a participant in conversation " + conversation_id + "."));
    return nullptr;
  }
  // gcsim models one call per leg, rendered with the leg's id (calls[0].id).
  if (communication_id != nullptr && *communication_id != leg->id) {
    Refuse(out, ApiStatus(codes::kNotFound, "Communication " + *communication_id +
                                                " is not a communication of participant " +
                                                participant_id + " (its call is " + leg->id +
                                                ", calls[0].id in the conversation)."));
    return nullptr;
  }
  return leg;
}

UpdateOutcome ApiWrites::UpdateParticipant(const std::string& conversation_id,
                                           const std::string& participant_id,
                                           const MediaParticipantRequest& request,
                                           const Caller& caller, ParticipantRoute route,
                                           Profile profile) {
  UpdateOutcome out;
  Participant* leg = FindTarget(conversation_id, participant_id, nullptr, out);
  if (leg == nullptr) return out;
  if (route == ParticipantRoute::kCall && profile != Profile::kObserved && caller.user_id.empty()) {
    return Refuse(out, ApiStatus(codes::kNotAUser));
  }

  out.ignored_fields = request.unknown_fields;
  // Before the strict check, so that unknown WrapupInput keys count as unknown fields.
  if (request.wrapup_error) {
    return RefuseField(out, "wrapup", codes::kBadRequest, *request.wrapup_error);
  }
  if (!out.ignored_fields.empty()) out.hint = IgnoredFieldsHint(out.ignored_fields, *leg);
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
  if (request.wrapup_skipped.present && *request.wrapup_skipped.value && !leg->wrapup_skipped) {
    if (Status allowed = LegLifecycle::CheckSkip(*leg); !allowed.ok()) {
      return Refuse(out, std::move(allowed));
    }
  }
  if (request.wrapup) {
    if (Status valid = LegLifecycle::CheckWrapup(world_, *leg, *request.wrapup); !valid.ok()) {
      out.field_errors.push_back({"wrapup.code", ApiCodeOf(valid), valid.message()});
      return Refuse(out, std::move(valid));
    }
  }

  // Apply.
  const TimePoint now = clock_.Now();
  std::vector<std::string> changes;
  for (const FlagField& flag : kFlags) {
    const Sent<bool>& wanted = request.*flag.sent;
    if (!wanted.present || *wanted.value == leg->*flag.member) continue;
    if (flag.member == &Participant::wrapup_skipped) {
      changes.push_back(lifecycle_.SetWrapupSkipped(*leg, *wanted.value, now));
      continue;
    }
    lifecycle_.ChangeLeg(*leg, now, [&](Participant& p) { p.*flag.member = *wanted.value; });
    changes.push_back(std::string(flag.name) + " " +
                      (*wanted.value ? "false -> true" : "true -> false"));
  }
  if (request.wrapup) changes.push_back(lifecycle_.RecordWrapup(*leg, *request.wrapup, now));
  if (request.resume_time.present) changes.push_back("resumeTime recorded");
  if (state == LegState::kConnected && leg->state == LegState::kAlerting) {
    lifecycle_.Answer(*leg, now);
    changes.push_back("answered: alerting -> connected");
  }
  if (state == LegState::kDisconnected) {
    NoteDrop(out, *leg, now);
    if (leg->pending_drop != 0) {
      changes.push_back("drop already accepted; it lands after disconnectLatency");
    } else if (const auto lost = faults_.Hit({.method = "PATCH",
                                              .client_id = caller.client_id,
                                              .conversation_id = conversation_id,
                                              .participant_id = participant_id},
                                             {FaultKind::kLostDrop, FaultKind::kStuckMedia}, now)) {
      changes.push_back(Join({"drop accepted, then lost (fault ", Label(*lost), "): the leg stays connected"}, ""));
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

UpdateOutcome ApiWrites::UpdateCommunication(const std::string& conversation_id,
                                             const std::string& participant_id,
                                             const std::string& communication_id,
                                             const MediaParticipantRequest& request,
                                             const Caller& caller, Profile profile) {
  UpdateOutcome out;
  Participant* leg = FindTarget(conversation_id, participant_id, &communication_id, out);
  if (leg == nullptr) return out;
  if (!request.state.present) {
    out.ignored_fields = request.unknown_fields;
    return Refuse(out, ApiStatus(codes::kCommunicationStateRequired,
                                 "A communication state is required: only "
                                 "{\"state\":\"disconnected\"} acts on this endpoint."));
  }
  // This endpoint only disconnects: the rest of a MediaParticipantRequest is not acted on.
  MediaParticipantRequest drop;
  drop.state = request.state;
  drop.unknown_fields = request.unknown_fields;
  std::vector<std::string> not_acted_on;
  if (request.held.present) not_acted_on.push_back("held");
  if (request.muted.present) not_acted_on.push_back("muted");
  if (request.confined.present) not_acted_on.push_back("confined");
  if (request.recording.present) not_acted_on.push_back("recording");
  if (request.wrapup_skipped.present) not_acted_on.push_back("wrapupSkipped");
  if (request.resume_time.present) not_acted_on.push_back("resumeTime");
  if (request.wrapup || request.wrapup_error) not_acted_on.push_back("wrapup");
  if (request.state.value) {
    const auto parsed = ParseLegState(*request.state.value);
    if (parsed && *parsed != LegState::kDisconnected) {
      return RefuseField(out, "state", codes::kBadRequest,
                         "A communication's state can only be set to disconnected.");
    }
  }
  out = UpdateParticipant(conversation_id, participant_id, drop, caller, ParticipantRoute::kCall,
                          profile);
  if (!out.status.ok()) return out;
  out.http_status = 200;
  if (!not_acted_on.empty()) {
    out.ignored_fields.insert(out.ignored_fields.end(), not_acted_on.begin(), not_acted_on.end());
    std::sort(out.ignored_fields.begin(), out.ignored_fields.end());
    out.hint = IgnoredFieldsHint(out.ignored_fields, *leg);
    out.hint += "; this endpoint only disconnects: wrap-up goes to POST ";
    out.hint += routes::FillPath(routes::kCallParticipantCommunicationWrapup,
                                 {leg->conversation_id(), leg->id, leg->id});
  }
  return out;
}

UpdateOutcome ApiWrites::ApplyWrapup(const std::string& conversation_id,
                                     const std::string& participant_id,
                                     const std::string& communication_id,
                                     const WrapupRequest& request, const Caller& caller,
                                     Profile profile) {
  UpdateOutcome out;
  Participant* leg = FindTarget(conversation_id, participant_id, &communication_id, out);
  if (leg == nullptr) return out;
  if (profile != Profile::kObserved && caller.user_id.empty()) {
    return Refuse(out, ApiStatus(codes::kNotAUser));
  }
  out.ignored_fields = request.unknown_fields;
  if (request.error || !request.wrapup) {
    return RefuseField(out, "body", codes::kBadRequest,
                       request.error.value_or("The body must be a WrapupInput."));
  }
  if (profile == Profile::kStrict && !out.ignored_fields.empty()) {
    for (const auto& field : out.ignored_fields) {
      out.field_errors.push_back({field, "unknown.field", "Unrecognized field " + field});
    }
    return Refuse(out, ApiStatus(codes::kBadRequest, "Unrecognized field(s) in WrapupInput: " +
                                                         Join(out.ignored_fields, ", ") + "."));
  }
  if (Status valid = LegLifecycle::CheckWrapup(world_, *leg, *request.wrapup); !valid.ok()) {
    out.field_errors.push_back({"code", ApiCodeOf(valid), valid.message()});
    return Refuse(out, std::move(valid));
  }
  out.http_status = 202;
  out.effect_text = lifecycle_.RecordWrapup(*leg, *request.wrapup, clock_.Now());
  if (IsLive(leg->state)) {
    out.effect_text += "; the leg is still ";
    out.effect_text += ToString(leg->state);
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
    spec.legs.push_back({.purpose = Purpose::kUser, .user_id = caller.user_id, .direction = Direction::kOutbound});
  }
  if (request.phone_number) {
    spec.legs.push_back({.purpose = Purpose::kExternal,
                         .address = "tel:" + *request.phone_number,
                         .direction = Direction::kOutbound});
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

Participant* ApiWrites::FindLiveTarget(const std::string& conversation_id,
                                       const std::string& participant_id, UpdateOutcome& out) {
  Participant* leg = FindTarget(conversation_id, participant_id, nullptr, out);
  if (leg != nullptr && !IsLive(leg->state)) {
    Refuse(out, ApiStatus(codes::kCallDisconnected));
    return nullptr;
  }
  return leg;
}

UpdateOutcome ApiWrites::ReplaceParticipant(const std::string& conversation_id,
                                            const std::string& participant_id,
                                            const TransferRequest& request) {
  UpdateOutcome out;
  Participant* leg = FindLiveTarget(conversation_id, participant_id, out);
  if (leg == nullptr) return out;
  if (!request.malformed.ok()) return Refuse(out, request.malformed);
  if (Status valid = CheckReferences(world_, {request.target}); !valid.ok()) {
    return Refuse(out, std::move(valid));
  }
  auto added = AddLeg(world_.conversations.at(conversation_id), request.target);
  if (!added.ok()) return Refuse(out, added.status());
  // The target joins first, so that the conversation does not end in between. A transfer is
  // no drop request (NoteDrop): the call goes on with the target.
  const TimePoint now = clock_.Now();
  lifecycle_.ScheduleDrop(*leg, now, DisconnectType::kTransfer);
  out.http_status = 202;
  out.added_participant_id = *added;
  out.effect_text = "transfer accepted: participant " + *added + " joined; the leg leaves "
                    "(disconnectType transfer) at " +
                    FormatIso8601(now + lifecycle_.disconnect_latency());
  return out;
}

void ApiWrites::Speak(Conversation& conv, SpeakTo speak_to, UpdateOutcome& out) {
  const TimePoint now = clock_.Now();
  if (speak_to == SpeakTo::kConference) {
    lifecycle_.EndConsult(conv, now);
    out.effect_text = "consult merged into a conference: nobody is confined";
    return;
  }
  const Conversation::Consult& consult = *conv.consult;
  const auto confine = [&](const std::string& id, bool confined) {
    if (Participant* leg = world_.FindLeg(id); leg != nullptr && IsLive(leg->state)) {
      lifecycle_.SetFlag(*leg, &Participant::confined, confined, now);
    }
  };
  confine(consult.object_id, speak_to == SpeakTo::kDestination);
  confine(consult.destination_id, speak_to == SpeakTo::kObject);
  out.effect_text = std::string("consult speaks to ") + ToString(speak_to) + ": " +
                    (speak_to == SpeakTo::kDestination ? "the object is confined"
                     : speak_to == SpeakTo::kObject    ? "the destination is confined"
                                                       : "nobody is confined");
}

UpdateOutcome ApiWrites::StartConsult(const std::string& conversation_id,
                                      const std::string& participant_id,
                                      const ConsultRequest& request, const Caller& caller) {
  UpdateOutcome out;
  Participant* object = FindLiveTarget(conversation_id, participant_id, out);
  if (object == nullptr) return out;
  if (!request.malformed.ok()) return Refuse(out, request.malformed);
  if (!request.destination) {
    return RefuseField(out, "destination", codes::kBadRequest,
                       "A ConsultTransfer needs a destination.");
  }
  Conversation& conv = world_.conversations.at(conversation_id);
  if (conv.consult) {
    return Refuse(out, ApiStatus(codes::kBadRequest,
                                 "A consult is already in progress for participant " +
                                     conv.consult->object_id + "."));
  }
  const std::string& consulting_user =
      request.consulting_user_id.empty() ? caller.user_id : request.consulting_user_id;
  const auto found =
      std::find_if(conv.participants.begin(), conv.participants.end(), [&](const Participant* p) {
        return !consulting_user.empty() && p->user_id == consulting_user && IsLive(p->state) &&
               p->id != object->id;
      });
  if (found == conv.participants.end()) {
    return RefuseField(out, "consultingUserId", codes::kBadRequest,
                       "consultingUserId (or the token's user) must have a live leg in the "
                       "conversation other than the object of the transfer.");
  }
  if (Status valid = CheckReferences(world_, {*request.destination}); !valid.ok()) {
    return Refuse(out, std::move(valid));
  }
  const std::string consulting_id = (*found)->id;  // AddLeg below moves the participant list
  auto added = AddLeg(conv, *request.destination);
  if (!added.ok()) return Refuse(out, added.status());
  conv.consult = Conversation::Consult{object->id, *added, consulting_id};
  Speak(conv, request.speak_to, out);
  out.http_status = 200;
  out.added_participant_id = *added;
  out.effect_text = "consult started: destination " + *added + " joined; " + out.effect_text;
  return out;
}

Conversation::Consult* ApiWrites::FindConsult(const std::string& conversation_id,
                                              const std::string& participant_id,
                                              UpdateOutcome& out) {
  if (FindLiveTarget(conversation_id, participant_id, out) == nullptr) return nullptr;
  Conversation& conv = world_.conversations.at(conversation_id);
  if (!conv.consult || conv.consult->object_id != participant_id) {
    Refuse(out, ApiStatus(codes::kBadRequest, "Participant " + participant_id +
                                                  " is not the object of a consult in progress."));
    return nullptr;
  }
  return &*conv.consult;
}

UpdateOutcome ApiWrites::UpdateConsult(const std::string& conversation_id,
                                       const std::string& participant_id,
                                       const ConsultRequest& request) {
  UpdateOutcome out;
  if (FindConsult(conversation_id, participant_id, out) == nullptr) return out;
  if (!request.malformed.ok()) return Refuse(out, request.malformed);
  Conversation& conv = world_.conversations.at(conversation_id);
  out.added_participant_id = conv.consult->destination_id;
  Speak(conv, request.speak_to, out);
  out.http_status = 200;
  return out;
}

UpdateOutcome ApiWrites::CancelConsult(const std::string& conversation_id,
                                       const std::string& participant_id) {
  UpdateOutcome out;
  Conversation::Consult* consult = FindConsult(conversation_id, participant_id, out);
  if (consult == nullptr) return out;
  Participant* destination = world_.FindLeg(consult->destination_id);
  lifecycle_.EndConsult(world_.conversations.at(conversation_id), clock_.Now());
  out.http_status = 200;
  out.effect_text = "consult cancelled: nobody is confined";
  // The destination leaves as the consult's own end, not by a drop request (no NoteDrop).
  if (destination != nullptr && IsLive(destination->state)) {
    lifecycle_.ScheduleDrop(*destination, clock_.Now());
    out.effect_text += "; the destination " + destination->id + " leaves at " +
                       FormatIso8601(clock_.Now() + lifecycle_.disconnect_latency());
  }
  return out;
}

Result<std::string> ApiWrites::AddConversation(const ConversationSpec& spec) {
  if (Status fits = CheckGrowth(world_, limits_, 1, spec.legs.size()); !fits.ok()) return fits;
  auto id = AddConversationTo(world_, ids_, spec, clock_.Now());
  if (id.ok()) {
    for (Participant* leg : world_.conversations.at(*id).participants) {
      lifecycle_.ArmAlertingTimeout(*leg, clock_.Now());
    }
  }
  return id;
}

Result<std::string> ApiWrites::AddLeg(Conversation& conv, const LegSpec& spec) {
  if (Status fits = CheckGrowth(world_, limits_, 0, 1); !fits.ok()) return fits;
  auto id = AddLegTo(world_, ids_, conv, spec, clock_.Now());
  if (id.ok()) lifecycle_.ArmAlertingTimeout(*world_.FindLeg(*id), clock_.Now());
  return id;
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
    NoteDrop(out, *leg, now);
  }
  out.effect_text = "conversation end accepted: every leg terminates at " +
                    FormatIso8601(now + lifecycle_.disconnect_latency());
  lifecycle_.ScheduleEnd(conv, now);
  return out;
}

}  // namespace gcsim::core
