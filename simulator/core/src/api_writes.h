// What the Genesys API's writes do to the world and what they answer: a participant PATCH
// (profiles, ignored fields, validation before any change), ending a conversation, creating a
// call, adding participants; and every addition to the live world, within its limits.
//
// Not thread-safe: the facade (simulator.cc) calls it with the world locked.
#pragma once

#include <string>
#include <vector>

#include "gcsim/common/clock.h"
#include "gcsim/common/ids.h"
#include "gcsim/core/requests.h"
#include "gcsim/core/simulator.h"
#include "leg_lifecycle.h"
#include "gcsim/core/faults.h"
#include "world_state.h"

namespace gcsim::core {

class ApiWrites {
 public:
  // Every reference must outlive this object.
  ApiWrites(WorldState& world, IdGenerator& ids, LegLifecycle& lifecycle, Clock& clock,
            const WorldLimits& limits, FaultBook& faults);

  UpdateOutcome UpdateParticipant(const std::string& conversation_id,
                                  const std::string& participant_id,
                                  const MediaParticipantRequest& request, const Caller& caller,
                                  ParticipantRoute route, Profile profile);
  UpdateOutcome UpdateCommunication(const std::string& conversation_id,
                                    const std::string& participant_id,
                                    const std::string& communication_id,
                                    const MediaParticipantRequest& request, const Caller& caller,
                                    Profile profile);
  UpdateOutcome ApplyWrapup(const std::string& conversation_id, const std::string& participant_id,
                            const std::string& communication_id, const WrapupRequest& request,
                            const Caller& caller, Profile profile);
  UpdateOutcome UpdateConversation(const std::string& conversation_id,
                                   const ConversationUpdateRequest& request);
  UpdateOutcome DisconnectConversation(const std::string& conversation_id);
  Result<std::string> CreateCall(const CreateCallRequest& request, const Caller& caller);
  Result<std::vector<std::string>> AddParticipants(const std::string& conversation_id,
                                                   const AddParticipantsRequest& request);

  UpdateOutcome ReplaceParticipant(const std::string& conversation_id,
                                   const std::string& participant_id,
                                   const TransferRequest& request);
  UpdateOutcome StartConsult(const std::string& conversation_id, const std::string& participant_id,
                             const ConsultRequest& request, const Caller& caller);
  UpdateOutcome UpdateConsult(const std::string& conversation_id, const std::string& participant_id,
                              const ConsultRequest& request);
  UpdateOutcome CancelConsult(const std::string& conversation_id,
                              const std::string& participant_id);

  // Additions to the live world, by the API or by the world itself, within the limits.
  Result<std::string> AddConversation(const ConversationSpec& spec);
  Result<std::string> AddLeg(Conversation& conv, const LegSpec& spec);

 private:
  // The leg `participant_id` of `conversation_id` whose call is `communication_id` (empty: any),
  // or null with `out` refused as the API refuses it.
  Participant* FindTarget(const std::string& conversation_id, const std::string& participant_id,
                          const std::string* communication_id, UpdateOutcome& out);
  // The live leg `participant_id` of `conversation_id`, or null with `out` refused.
  Participant* FindLiveTarget(const std::string& conversation_id,
                              const std::string& participant_id, UpdateOutcome& out);
  // The consult whose object is `participant_id`, or null with `out` refused.
  Conversation::Consult* FindConsult(const std::string& conversation_id,
                                     const std::string& participant_id, UpdateOutcome& out);
  // Who the consulting leg hears: the other side of the consult is confined.
  void Speak(Conversation& conv, SpeakTo speak_to, UpdateOutcome& out);
  // Accepts the end of the whole conversation (it lands after disconnectLatency).
  UpdateOutcome& EndLater(Conversation& conv, UpdateOutcome& out, int http_status);

  WorldState& world_;
  IdGenerator& ids_;
  LegLifecycle& lifecycle_;
  Clock& clock_;
  const WorldLimits& limits_;
  FaultBook& faults_;
};

}  // namespace gcsim::core
