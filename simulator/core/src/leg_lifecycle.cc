#include "leg_lifecycle.h"

#include <algorithm>

#include "gcsim/common/strings.h"
#include "gcsim/core/api_errors.h"

namespace gcsim::core {

void OpenSegment(Participant& leg, TimePoint now) {
  if (leg.state == LegState::kAlerting) {
    leg.segments.push_back({.type = SegmentType::kAlert, .start = now});
  } else if (leg.state == LegState::kConnected) {
    leg.segments.push_back({.type = leg.held ? SegmentType::kHold : SegmentType::kInteract,
                            .audio_muted = leg.muted,
                            .start = now});
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
  if (leg.alert_timer) {
    clock_.Cancel(leg.alert_timer);
    leg.alert_timer = 0;
  }
  ChangeLeg(leg, now, [&](Participant& p) {
    p.state = LegState::kConnected;
    p.connected_time = now;
  });
}

void LegLifecycle::ArmAlertingTimeout(Participant& leg, TimePoint now) {
  const Queue* queue = world_.FindQueue(leg.queue_id);
  if (leg.state != LegState::kAlerting || leg.user_id.empty() || leg.alert_timer != 0 ||
      queue == nullptr || !queue->alerting_timeout) {
    return;
  }
  const Duration timeout = *queue->alerting_timeout;
  const std::string id = leg.id;
  leg.alert_timer = schedule_(std::max(now, leg.start_time + timeout), [this, id, timeout](TimerId timer) {
    Participant* target = world_.FindLeg(id);
    if (target == nullptr || target->alert_timer != timer) return;
    target->alert_timer = 0;
    if (target->state != LegState::kAlerting) return;
    Disconnect(*target, clock_.Now(), DisconnectType::kTransferNoAnswer,
               "not answered within the queue's alertingTimeout (" + FormatDuration(timeout) +
                   "); its user reads NOT_RESPONDING");
  });
}

void LegLifecycle::ScheduleDrop(Participant& leg, TimePoint now, DisconnectType disconnect_type) {
  if (leg.pending_drop != 0) return;
  if (disconnect_latency_ <= Duration::zero()) {
    Disconnect(leg, now, disconnect_type, "drop landed");
    return;
  }
  const std::string id = leg.id;
  leg.pending_drop = schedule_(now + disconnect_latency_, [this, id, disconnect_type](TimerId timer) {
    Participant* target = world_.FindLeg(id);
    if (target == nullptr || target->pending_drop != timer) return;
    target->pending_drop = 0;
    Disconnect(*target, clock_.Now(), disconnect_type,
               "drop landed, " + FormatDuration(disconnect_latency_) + " after it was accepted");
  });
}

void LegLifecycle::ScheduleEnd(Conversation& conv, TimePoint now) {
  if (conv.pending_end != 0) return;
  const std::string id = conv.id;
  conv.pending_end = schedule_(now + disconnect_latency_, [this, id](TimerId timer) {
    Conversation* target = world_.FindConversation(id);
    if (target == nullptr || target->pending_end != timer) return;
    EndConversation(*target, clock_.Now(), DisconnectType::kClient);
    journal_.Append({.at = clock_.Now(), .kind = "effect", .conversation_id = id,
                     .effect = "conversation ended by request: every leg terminated"});
  });
}

void LegLifecycle::Disconnect(Participant& leg, TimePoint now, DisconnectType disconnect_type,
                              const std::string& why) {
  if (leg.pending_drop) {
    clock_.Cancel(leg.pending_drop);
    leg.pending_drop = 0;
  }
  if (leg.alert_timer) {
    clock_.Cancel(leg.alert_timer);
    leg.alert_timer = 0;
  }
  ChangeLeg(leg, now, [&](Participant& p) {
    p.state = LegState::kDisconnected;
    p.disconnect_type = disconnect_type;
    p.end_time = now;
  });
  std::string effect =
      std::string("leg disconnected (disconnectType ") + ToString(disconnect_type) + "): " + why;
  Conversation& conv = *leg.conversation;
  if (conv.consult && (conv.consult->object_id == leg.id || conv.consult->destination_id == leg.id ||
                       conv.consult->consulting_id == leg.id)) {
    EndConsult(conv, now);
    effect += "; the consult is over, nobody is confined";
  }
  // A monitor or coach has nobody left to supervise: it leaves first, so that the count
  // below sees who really stays.
  if (monitors_end_with_monitored_) {
    for (Participant* other : conv.participants) {
      if (IsLive(other->state) && other->links &&
          (other->links->monitored_participant_id == leg.id ||
           other->links->coached_participant_id == leg.id)) {
        if (other->pending_drop) {
          clock_.Cancel(other->pending_drop);
          other->pending_drop = 0;
        }
        ChangeLeg(*other, now, [&](Participant& p) {
          p.state = LegState::kDisconnected;
          p.disconnect_type = DisconnectType::kPeer;
          p.end_time = now;
        });
        effect += "; its supervisor's leg " + other->id + " left with it (monitorsEndWithMonitored)";
        if (const std::string acw = EnterAcw(*other, now); !acw.empty()) effect += "; " + acw;
      }
    }
  }
  const auto people = std::count_if(conv.participants.begin(), conv.participants.end(),
                                    [](const Participant* p) {
                                      return IsHuman(p->purpose) && p->state == LegState::kConnected;
                                    });
  const bool conference =
      std::count_if(conv.participants.begin(), conv.participants.end(),
                    [](const Participant* p) { return IsHuman(p->purpose); }) >= 3;
  const bool kept = people == 1 && conference && last_party_keeps_conference_;
  if (people < 2 && !kept && !conv.end_time) {
    EndConversation(conv, now, DisconnectType::kPeer);
    effect += "; conversation ended: fewer than two people left, every leg terminated";
  } else if (kept) {
    effect += "; the conference stays up with its last party (lastPartyKeepsConference)";
  } else {
    effect += "; the conversation goes on with " + std::to_string(people) + " people";
  }
  if (const std::string acw = EnterAcw(leg, now); !acw.empty()) effect += "; " + acw;
  journal_.Append({.at = now, .kind = "effect", .conversation_id = conv.id,
                   .participant_id = leg.id, .effect = effect});
}

void LegLifecycle::EndConversation(Conversation& conv, TimePoint now,
                                   DisconnectType disconnect_type) {
  for (Participant* leg : conv.participants) {
    if (leg->pending_drop) {
      clock_.Cancel(leg->pending_drop);
      leg->pending_drop = 0;
    }
    if (leg->alert_timer) {
      clock_.Cancel(leg->alert_timer);
      leg->alert_timer = 0;
    }
    if (leg->state == LegState::kTerminated) continue;
    ChangeLeg(*leg, now, [&](Participant& p) {
      if (IsLive(p.state)) {
        p.disconnect_type = disconnect_type;
        p.end_time = now;
      }
      p.state = LegState::kTerminated;
    });
    if (const std::string acw = EnterAcw(*leg, now); !acw.empty()) {
      journal_.Append({.at = now, .kind = "effect", .conversation_id = conv.id,
                       .participant_id = leg->id, .effect = acw});
    }
  }
  if (conv.pending_end) {
    clock_.Cancel(conv.pending_end);
    conv.pending_end = 0;
  }
  conv.consult.reset();
  conv.end_time = now;
}

void LegLifecycle::EndConsult(Conversation& conv, TimePoint now) {
  conv.consult.reset();
  for (Participant* leg : conv.participants) {
    if (leg->confined && IsLive(leg->state)) {
      ChangeLeg(*leg, now, [](Participant& p) { p.confined = false; });
    }
  }
}

bool LegLifecycle::WrapupDone(const Participant& leg) {
  return leg.wrapup_skipped ||
         (leg.wrapup && !leg.wrapup->code.empty() && !leg.wrapup->provisional.value_or(false));
}

std::string LegLifecycle::EnterAcw(Participant& leg, TimePoint now) {
  // A leg that never connected (it rang out) had no interaction to wrap up.
  if (!leg.acw || leg.start_acw_time || !leg.connected_time) return "";
  leg.start_acw_time = now;
  const AcwSettings& acw = *leg.acw;
  std::string effect = std::string("after-call work started (wrapupPrompt ") + ToString(acw.prompt);
  if (acw.timeout) {
    effect += Join({", timeout ", FormatDuration(*acw.timeout), ": ", kWrapupTimeoutCode,
                    " applies at ", FormatIso8601(now + *acw.timeout), " without a code"},
                   "");
    const std::string id = leg.id;
    leg.acw_timer = schedule_(now + *acw.timeout, [this, id](TimerId timer) {
      Participant* target = world_.FindLeg(id);
      if (target == nullptr || target->acw_timer != timer) return;
      target->acw_timer = 0;
      std::string ended;
      if (WrapupDone(*target)) {
        ended = EndAcw(*target, clock_.Now(), "the forced ACW time is over");
      } else {
        target->wrapup = Wrapup{.code = std::string(kWrapupTimeoutCode),
                                .name = std::string(kWrapupTimeoutCode)};
        ended = EndAcw(*target, clock_.Now(),
                       Join({"ACW timed out without a code: ", kWrapupTimeoutCode, " applied"}, ""));
      }
      journal_.Append({.at = clock_.Now(), .kind = "effect",
                       .conversation_id = target->conversation_id(),
                       .participant_id = target->id, .effect = ended});
    });
  }
  effect += ")";
  if (WrapupDone(leg) && acw.prompt != WrapupPrompt::kMandatoryForcedTimeout) {
    effect += "; ";
    effect += EndAcw(leg, now, leg.wrapup_skipped ? "wrap-up skipped during the call"
                                                  : "wrap-up entered during the call");
  }
  return effect;
}

std::string LegLifecycle::EndAcw(Participant& leg, TimePoint now, const std::string& why) {
  if (leg.acw_timer) {
    clock_.Cancel(leg.acw_timer);
    leg.acw_timer = 0;
  }
  leg.end_acw_time = now;
  if (leg.wrapup && leg.start_acw_time) {
    if (!leg.wrapup->duration_seconds) {
      leg.wrapup->duration_seconds =
          std::chrono::duration_cast<std::chrono::seconds>(now - *leg.start_acw_time).count();
    }
    if (!leg.wrapup->end_time) leg.wrapup->end_time = now;
  }
  std::string effect = "after-call work ended: " + why;
  if (leg.wrapup && !leg.wrapup->code.empty()) effect += " (code " + leg.wrapup->code + ")";
  return effect;
}

Status LegLifecycle::CheckWrapup(const WorldState& world, const Participant& leg,
                                 const Wrapup& wrapup) {
  if (wrapup.code.empty()) {
    if (wrapup.provisional.value_or(false)) return Status::Ok();
    return ApiStatus(codes::kWrapupCodeRequired);
  }
  if (world.wrapup_codes.empty()) return Status::Ok();  // a world without codes checks none
  std::vector<const WrapupCode*> allowed;
  const Queue* queue = world.FindQueue(leg.queue_id);
  if (queue != nullptr && !queue->wrapup_code_ids.empty()) {
    for (const std::string& id : queue->wrapup_code_ids) {
      if (const WrapupCode* code = world.FindWrapupCode(id)) allowed.push_back(code);
    }
  } else {
    for (const WrapupCode& code : world.wrapup_codes) allowed.push_back(&code);
  }
  std::string listed;
  const WrapupCode* by_name = nullptr;
  for (const WrapupCode* code : allowed) {
    if (code->id == wrapup.code) return Status::Ok();
    if (code->name == wrapup.code) by_name = code;
    listed += (listed.empty() ? "" : ", ") + code->id + " (" + code->name + ")";
  }
  std::string message = "Wrap-up code [" + wrapup.code + "] is not ";
  message += queue != nullptr ? "a wrap-up code of queue " + queue->id : "a wrap-up code of the org";
  message += ".";
  if (by_name != nullptr) {
    message += " The API takes a code's id: " + by_name->name + " is " + by_name->id + ".";
  }
  message += listed.empty() ? " The queue has no codes." : " Codes: " + listed + ".";
  return ApiStatus(codes::kInvalidValue, std::move(message));
}

Status LegLifecycle::CheckSkip(const Participant& leg) {
  if (leg.acw && IsMandatory(leg.acw->prompt)) {
    return ApiStatus(codes::kWrapupCannotSkip,
                     Join({"Wrap-up cannot be skipped: the queue's wrapupPrompt is ",
                           ToString(leg.acw->prompt), "."},
                          ""));
  }
  return Status::Ok();
}

std::string LegLifecycle::RecordWrapup(Participant& leg, Wrapup wrapup, TimePoint now) {
  if (wrapup.name.empty()) {
    if (const WrapupCode* code = world_.FindWrapupCode(wrapup.code)) wrapup.name = code->name;
  }
  const bool replaced = leg.wrapup.has_value();
  leg.wrapup = std::move(wrapup);
  std::string what = replaced ? "wrapup replaced" : "wrapup recorded";
  if (!leg.wrapup->code.empty()) what += " (code " + leg.wrapup->code + ")";
  if (leg.end_acw_time && leg.start_acw_time) {
    // After ACW ended: the code is corrected, the times stay those of the ACW.
    if (!leg.wrapup->duration_seconds) {
      leg.wrapup->duration_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                         *leg.end_acw_time - *leg.start_acw_time)
                                         .count();
    }
    if (!leg.wrapup->end_time) leg.wrapup->end_time = *leg.end_acw_time;
  } else if (InAcw(leg) && WrapupDone(leg)) {
    if (leg.acw->prompt == WrapupPrompt::kMandatoryForcedTimeout) {
      what += "; ACW goes on until its forced timeout";
    } else {
      what += "; ";
      what += EndAcw(leg, now, "wrap-up entered");
    }
  }
  return what;
}

std::string LegLifecycle::SetWrapupSkipped(Participant& leg, bool skipped, TimePoint now) {
  leg.wrapup_skipped = skipped;
  std::string what = std::string("wrapupSkipped ") + (skipped ? "false -> true" : "true -> false");
  if (skipped && InAcw(leg)) {
    what += "; ";
    what += EndAcw(leg, now, "wrap-up skipped");
  }
  return what;
}

void LegLifecycle::CancelTimers() {
  for (const Participant& leg : world_.leg_storage) {
    if (leg.pending_drop) clock_.Cancel(leg.pending_drop);
    if (leg.acw_timer) clock_.Cancel(leg.acw_timer);
    if (leg.alert_timer) clock_.Cancel(leg.alert_timer);
  }
  for (auto& [id, conv] : world_.conversations) {
    if (conv.pending_end) clock_.Cancel(conv.pending_end);
  }
}

}  // namespace gcsim::core
