#include "leg_lifecycle.h"

#include <algorithm>

#include "gcsim/core/api_errors.h"

namespace gcsim::core {

void OpenSegment(Participant& leg, TimePoint now) {
  if (leg.state == LegState::kAlerting) {
    leg.segments.push_back({"alert", now, std::nullopt, false});
  } else if (leg.state == LegState::kConnected) {
    leg.segments.push_back({leg.held ? "hold" : "interact", now, std::nullopt, leg.muted});
  }
}

LegLifecycle::LegLifecycle(WorldState& world, Clock& clock, Journal& journal, ScheduleFn schedule)
    : world_(world), clock_(clock), journal_(journal), schedule_(std::move(schedule)) {}

Status LegLifecycle::CheckFlag(const Participant& leg, bool Participant::*flag, bool value) {
  if (leg.*flag == value) return Status::Ok();
  if (!IsLive(leg.state)) return ApiStatus(codes::kCallDisconnected);
  if (flag == &Participant::held && value && leg.state == LegState::kAlerting) {
    return ApiStatus(codes::kHoldAlerting);
  }
  return Status::Ok();
}

Status LegLifecycle::SetFlag(Participant& leg, bool Participant::*flag, bool value,
                             TimePoint now) {
  if (Status allowed = CheckFlag(leg, flag, value); !allowed.ok()) return allowed;
  if (leg.*flag == value) return Status::Ok();
  ChangeLeg(leg, now, [&](Participant& p) { p.*flag = value; });
  return Status::Ok();
}

void LegLifecycle::SetSpeech(Participant& leg, const SpeechScript& speech, TimePoint now) {
  ChangeLeg(leg, now, [&](Participant& p) {
    p.speech = speech;
    p.speech_anchor = now;
  });
}

void LegLifecycle::Answer(Participant& leg, TimePoint now) {
  ChangeLeg(leg, now, [&](Participant& p) {
    p.state = LegState::kConnected;
    p.connected_time = now;
  });
}

void LegLifecycle::ScheduleDrop(Participant& leg, TimePoint now) {
  if (leg.pending_drop != 0) return;
  if (disconnect_latency_ <= Duration::zero()) {
    Disconnect(leg, now, "client", "drop landed");
    return;
  }
  const std::string id = leg.id;
  leg.pending_drop = schedule_(now + disconnect_latency_, [this, id](TimerId timer) {
    Participant* target = world_.FindLeg(id);
    if (target == nullptr || target->pending_drop != timer) return;
    target->pending_drop = 0;
    Disconnect(*target, clock_.Now(), "client",
               "drop landed, " + FormatDuration(disconnect_latency_) + " after it was accepted");
  });
}

void LegLifecycle::ScheduleEnd(Conversation& conv, TimePoint now) {
  if (conv.pending_end != 0) return;
  const std::string id = conv.id;
  conv.pending_end = schedule_(now + disconnect_latency_, [this, id](TimerId timer) {
    Conversation* target = world_.FindConversation(id);
    if (target == nullptr || target->pending_end != timer) return;
    EndConversation(*target, clock_.Now(), "client");
    journal_.Append({.at = clock_.Now(), .kind = "effect", .conversation_id = id,
                     .effect = "conversation ended by request: every leg terminated"});
  });
}

void LegLifecycle::Disconnect(Participant& leg, TimePoint now, const std::string& disconnect_type,
                              const std::string& why) {
  if (leg.pending_drop) {
    clock_.Cancel(leg.pending_drop);
    leg.pending_drop = 0;
  }
  ChangeLeg(leg, now, [&](Participant& p) {
    p.state = LegState::kDisconnected;
    p.disconnect_type = disconnect_type;
    p.end_time = now;
  });
  std::string effect = "leg disconnected (disconnectType " + disconnect_type + "): " + why;
  Conversation& conv = world_.conversations.at(leg.conversation_id);
  const auto people = std::count_if(conv.participants.begin(), conv.participants.end(),
                                    [](const Participant* p) {
                                      return IsHuman(p->purpose) && p->state == LegState::kConnected;
                                    });
  if (people < 2 && !conv.end_time) {
    EndConversation(conv, now, "peer");
    effect += "; conversation ended: fewer than two people left, every leg terminated";
  } else {
    effect += "; the conversation goes on with " + std::to_string(people) + " people";
  }
  journal_.Append({.at = now, .kind = "effect", .conversation_id = conv.id,
                   .participant_id = leg.id, .effect = effect});
}

void LegLifecycle::EndConversation(Conversation& conv, TimePoint now,
                                   const std::string& disconnect_type) {
  for (Participant* leg : conv.participants) {
    if (leg->pending_drop) {
      clock_.Cancel(leg->pending_drop);
      leg->pending_drop = 0;
    }
    if (leg->state == LegState::kTerminated) continue;
    ChangeLeg(*leg, now, [&](Participant& p) {
      if (IsLive(p.state)) {
        p.disconnect_type = disconnect_type;
        p.end_time = now;
      }
      p.state = LegState::kTerminated;
    });
  }
  if (conv.pending_end) {
    clock_.Cancel(conv.pending_end);
    conv.pending_end = 0;
  }
  conv.end_time = now;
}

void LegLifecycle::CancelTimers() {
  for (const Participant& leg : world_.leg_storage) {
    if (leg.pending_drop) clock_.Cancel(leg.pending_drop);
  }
  for (auto& [id, conv] : world_.conversations) {
    if (conv.pending_end) clock_.Cancel(conv.pending_end);
  }
}

}  // namespace gcsim::core
