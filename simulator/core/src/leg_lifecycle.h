// The leg state machine: every change to what a leg is or says, its analytics segments, drops
// that land after disconnectLatency, a far end hanging up, and the end of a conversation
// (fewer than two people left, or asked for). What happens when a drop lands is here.
//
// Not thread-safe: the facade (simulator.cc) calls it with the world locked, and runs its
// timers with the world locked too (see ScheduleFn).
#pragma once

#include <functional>
#include <string>

#include "gcsim/common/clock.h"
#include "gcsim/common/status.h"
#include "gcsim/core/journal.h"
#include "gcsim/core/model.h"
#include "world_state.h"

namespace gcsim::core {

// Runs `fire` at `at` and returns the timer's id; `fire` receives that id, so a callback can
// tell whether it is still the timer its target waits for. The facade's version also takes the
// world lock and does nothing once the simulator is gone.
using ScheduleFn = std::function<TimerId(TimePoint at, std::function<void(TimerId)> fire)>;

// A new leg's first analytics segment: alert while alerting, hold or interact once connected.
void OpenSegment(Participant& leg, TimePoint now);

class LegLifecycle {
 public:
  // Every reference must outlive the lifecycle. Effects that land later go to `journal`.
  LegLifecycle(WorldState& world, Clock& clock, Journal& journal, ScheduleFn schedule);

  Duration disconnect_latency() const { return disconnect_latency_; }
  void set_disconnect_latency(Duration latency) { disconnect_latency_ = latency; }
  // Whether a monitor's or coach's leg leaves when the leg it supervises does (the world's
  // monitorsEndWithMonitored).
  void set_monitors_end_with_monitored(bool end) { monitors_end_with_monitored_ = end; }
  // Whether a conference stays up with one party left (the world's lastPartyKeepsConference).
  void set_last_party_keeps_conference(bool keep) { last_party_keeps_conference_ = keep; }

  // Every change to what a leg is or says goes through here: what it said so far is folded
  // into heard_before, and its analytics segment is cut where anything visible changed.
  template <typename Fn>
  void ChangeLeg(Participant& leg, TimePoint now, Fn&& change) {
    leg.heard_before = ComputeMedia(leg, now).last_heard_at;
    leg.audible_since = now;
    const bool was_held = leg.held, was_muted = leg.muted;
    const LegState was_state = leg.state;
    change(leg);
    if (was_held != leg.held || was_muted != leg.muted || was_state != leg.state) {
      if (!leg.segments.empty() && !leg.segments.back().end) leg.segments.back().end = now;
      OpenSegment(leg, now);
    }
    world_.silence.Update(leg, now);
  }

  // Why `flag` (held, muted, ...) may not become `value` on `leg` now, or Ok. Setting a flag to
  // the value it has is always fine.
  static Status CheckFlag(const Participant& leg, bool Participant::*flag, bool value);
  // Sets a flag (checked with CheckFlag first).
  Status SetFlag(Participant& leg, bool Participant::*flag, bool value, TimePoint now);
  // The leg talks by `speech` from now on.
  void SetSpeech(Participant& leg, const SpeechScript& speech, TimePoint now);
  // An alerting leg answers.
  void Answer(Participant& leg, TimePoint now);
  // A user's leg ringing on a queue with an alerting timeout: unanswered by then, it leaves
  // (disconnectType transfer.noanswer) and its user reads NOT_RESPONDING. Others: nothing.
  void ArmAlertingTimeout(Participant& leg, TimePoint now);

  // An accepted drop: the leg disconnects (disconnectType client, or transfer for a leg
  // replaced) after disconnect_latency, at once when that is zero. A drop already pending is
  // not scheduled twice.
  void ScheduleDrop(Participant& leg, TimePoint now,
                    DisconnectType disconnect_type = DisconnectType::kClient);
  // An accepted end of the whole conversation: every leg terminates after disconnect_latency.
  void ScheduleEnd(Conversation& conv, TimePoint now);

  // The leg goes now: media stops, endTime set, a pending drop cancelled, the effect
  // journaled. Fewer than two people left connected ends the conversation.
  void Disconnect(Participant& leg, TimePoint now, DisconnectType disconnect_type,
                  const std::string& why);
  // The consult of `conv` is over (merged, or one of its legs left): nobody stays confined.
  void EndConsult(Conversation& conv, TimePoint now);
  // Every leg terminated (live ones get `disconnect_type` and an endTime), timers cancelled.
  void EndConversation(Conversation& conv, TimePoint now, DisconnectType disconnect_type);

  // --- After-call work (legs with `acw` settings; others are left alone) ---
  // The leg stopped being live: ACW starts, with the queue's timeout on the clock when timed
  // (ININ-WRAP-UP-TIMEOUT applies when it runs out without a code). A wrap-up already done
  // (entered during the call, or skipped) ends it at once, but for a forced timeout.
  // Returns what happened for the caller's journal entry ("" when the leg has no ACW).
  std::string EnterAcw(Participant& leg, TimePoint now);
  // Why `wrapup` may not be recorded on `leg`: a code is required unless provisional, and
  // must be one of the codes of the leg's queue (unchecked in a world without codes).
  static Status CheckWrapup(const WorldState& world, const Participant& leg,
                            const Wrapup& wrapup);
  // Why `leg` may not skip wrap-up: its queue's prompt is mandatory.
  static Status CheckSkip(const Participant& leg);
  // Records a checked wrap-up (the code's name filled in from the world); ends ACW when the
  // leg is in it and the wrap-up is done. Returns what happened, for the journal.
  std::string RecordWrapup(Participant& leg, Wrapup wrapup, TimePoint now);
  // Sets wrapupSkipped (checked with CheckSkip); skipping ends ACW when the leg is in it.
  std::string SetWrapupSkipped(Participant& leg, bool skipped, TimePoint now);

  // Cancels every pending drop and end of the world (before it is replaced or destroyed).
  void CancelTimers();

 private:
  // A code entered (not provisional) or the wrap-up skipped.
  static bool WrapupDone(const Participant& leg);
  bool InAcw(const Participant& leg) const { return leg.start_acw_time && !leg.end_acw_time; }
  // Returns what happened, for the journal.
  std::string EndAcw(Participant& leg, TimePoint now, const std::string& why);

  WorldState& world_;
  Clock& clock_;
  Journal& journal_;
  const ScheduleFn schedule_;
  Duration disconnect_latency_{};
  bool monitors_end_with_monitored_ = true;
  bool last_party_keeps_conference_ = false;
};

}  // namespace gcsim::core
