#include "gcsim/client/reaper.h"

#include <algorithm>

namespace gcsim::client {
namespace {

// The only body that drops a leg; unknown fields such as dropReason are silently ignored.
constexpr char kDropBody[] = R"({"state":"disconnected"})";

// Dropping a leg that already went is not an error: someone (or the far end) got there first.
bool AlreadyGone(const Status& status) {
  return status.code() == StatusCode::kNotFound ||
         status.reason() == "conversation.error.call.disconnected";
}

LogFields LegFields(const LegId& leg) {
  return {{"conversation", leg.conversation_id}, {"participant", leg.participant_id}};
}

LogFields With(LogFields fields, LogFields more) {
  fields.insert(fields.end(), std::make_move_iterator(more.begin()),
                std::make_move_iterator(more.end()));
  return fields;
}

}  // namespace

Status ValidateReaperOptions(const ReaperOptions& options) {
  for (const auto& [name, value] : {std::pair{"idleTimeout", options.idle_timeout},
                                    std::pair{"pollInterval", options.poll_interval},
                                    std::pair{"verifyTimeout", options.verify_timeout}}) {
    // A zero idle timeout would drop every leg at once; a zero interval would spin.
    if (value <= Duration::zero()) return InvalidArgumentError("must be more than 0s", name);
  }
  if (options.max_attempts < 1) return InvalidArgumentError("must be at least 1", "maxAttempts");
  if (options.purposes.empty()) {
    return InvalidArgumentError("name at least one purpose to drop", "purposes");
  }
  for (const std::string& purpose : options.purposes) {
    if (std::find(kAllPurposes.begin(), kAllPurposes.end(), purpose) == kAllPurposes.end()) {
      return InvalidArgumentError("unknown purpose \"" + purpose +
                                      "\" (expected agent, user, customer, external, acd or ivr)",
                                  "purposes");
    }
  }
  return Status::Ok();
}

Reaper::Reaper(ReaperOptions options, ApiClient& client, ActivitySource& source, Clock& clock,
               Logger& logger)
    : options_(std::move(options)),
      client_(client),
      source_(source),
      clock_(clock),
      logger_(logger) {}

StepReport Reaper::Step(TimePoint now) { return Tick(now, /*act=*/true); }

StepReport Reaper::VerifyPending(TimePoint now) { return Tick(now, /*act=*/false); }

ReaperTotals Reaper::totals() const {
  ReaperTotals totals;
  {
    std::lock_guard lock(totals_mu_);
    totals = totals_;
  }
  const ApiCounters counters = client_.counters();
  totals.requests = counters.requests;
  totals.rate_limited = counters.rate_limited;
  totals.retries = counters.retries;
  return totals;
}

bool Reaper::PurposeAllowed(const std::string& purpose) const {
  return std::find(options_.purposes.begin(), options_.purposes.end(), purpose) !=
         options_.purposes.end();
}

void Reaper::Skip(const LegId& leg, std::string reason, StepReport& report) {
  logger_.Debug("skip", With(LegFields(leg), {{"reason", reason}}));
  report.skipped.push_back({leg, std::move(reason)});
}

StepReport Reaper::Tick(TimePoint now, bool act) {
  StepReport report;
  report.at = now;
  const uint64_t requests_before = client_.counters().requests;
  uint64_t new_legs = 0;

  Result<std::vector<Candidate>> candidates = source_.Candidates(now, options_.idle_timeout);
  // Conversation id -> its new candidates; ordered, so a tick's requests come in a stable order.
  std::map<std::string, std::vector<Candidate>> to_confirm;
  if (!candidates.ok()) {
    // Without a fresh view, verification could be fooled and drops could be unsafe: wait for
    // the next tick.
    logger_.Error("activity_source_failed",
                  {{"source", source_.name()}, {"error", candidates.status().ToString()}});
    report.errors.push_back({{}, candidates.status()});
  } else if (act) {
    // Memory stays proportional to the current candidates: a leg counts as seen once per
    // stretch of idleness, and a stuck leg that stops being a candidate (heard again, or gone)
    // is forgotten, so a later idle stretch gets a fresh set of attempts.
    std::set<LegId> current;
    for (const Candidate& candidate : *candidates) {
      current.insert({candidate.conversation_id, candidate.participant_id});
    }
    std::erase_if(stuck_, [&current](const LegId& leg) { return current.count(leg) == 0; });
    for (const Candidate& candidate : *candidates) {
      const LegId leg{candidate.conversation_id, candidate.participant_id};
      report.candidates.push_back(candidate);
      if (last_candidates_.count(leg) == 0) ++new_legs;
      if (pending_.count(leg) > 0 || stuck_.count(leg) > 0) {
        Skip(leg, "already being handled", report);
      } else if (!candidate.purpose.empty() && !PurposeAllowed(candidate.purpose)) {
        Skip(leg, "purpose " + candidate.purpose + " not allowed", report);
      } else if (now - candidate.silent_since < options_.idle_timeout) {
        Skip(leg, "heard within the idle timeout", report);
      } else {
        to_confirm[candidate.conversation_id].push_back(candidate);
      }
    }
    last_candidates_ = std::move(current);
  }

  if (candidates.ok()) {
    // One GET per conversation serves its new candidates and its pending legs alike.
    std::set<std::string> conversation_ids;
    for (const auto& [id, unused] : to_confirm) conversation_ids.insert(id);
    for (const auto& [leg, unused] : pending_) conversation_ids.insert(leg.conversation_id);
    for (const std::string& conversation_id : conversation_ids) {
      Result<CallConversation> conversation = client_.GetCallConversation(conversation_id);
      if (!conversation.ok() && conversation.status().code() != StatusCode::kNotFound) {
        logger_.Error("read_conversation_failed", {{"conversation", conversation_id},
                                                   {"error", conversation.status().ToString()}});
        report.errors.push_back({{conversation_id, ""}, conversation.status()});
        continue;
      }
      const CallConversation* current = conversation.ok() ? &*conversation : nullptr;
      VerifyConversation(conversation_id, current, now, act, report);
      for (const Candidate& candidate : to_confirm[conversation_id]) {
        ConfirmAndDrop(candidate, current, now, report);
      }
    }
  }

  report.requests = client_.counters().requests - requests_before;
  {
    std::lock_guard lock(totals_mu_);
    totals_.legs_seen += new_legs;
    totals_.dropped += std::count_if(report.dropped.begin(), report.dropped.end(),
                                     [](const DroppedLeg& d) { return d.attempt == 1; });
    totals_.verified += report.verified.size();
    totals_.stuck += report.stuck.size();
    totals_.errors += report.errors.size();
  }
  logger_.Debug("tick", {{"candidates", std::to_string(report.candidates.size())},
                         {"dropped", std::to_string(report.dropped.size())},
                         {"verified", std::to_string(report.verified.size())},
                         {"pending", std::to_string(pending_.size())},
                         {"requests", std::to_string(report.requests)}});
  return report;
}

void Reaper::VerifyConversation(const std::string& conversation_id,
                                const CallConversation* conversation, TimePoint now, bool act,
                                StepReport& report) {
  const std::string correlation = conversation ? conversation->correlation_id : "";
  auto it = pending_.lower_bound(LegId{conversation_id, ""});
  while (it != pending_.end() && it->first.conversation_id == conversation_id) {
    const LegId leg = it->first;
    PendingLeg& pending = it->second;
    const CallParticipant* participant =
        conversation ? conversation->FindParticipant(leg.participant_id) : nullptr;
    // No conversation, no participant, or a state past connected: the leg is down.
    const bool down = participant == nullptr || conversation->Ended() ||
                      participant->state == "disconnected" || participant->state == "terminated";
    const std::optional<bool> flowing =
        source_.StillFlowing(leg.conversation_id, leg.participant_id);
    const std::string state = participant ? participant->state : "gone";

    if (down && flowing != true) {
      logger_.Info("verified", With(LegFields(leg), {{"state", state},
                                                     {"attempts", std::to_string(pending.attempts)},
                                                     {"correlation", correlation}}));
      report.verified.push_back(leg);
      it = pending_.erase(it);
      continue;
    }
    ++it;  // Drop() below may touch this entry but never erases it
    if (!act || now - pending.last_drop < options_.verify_timeout) continue;
    if (pending.attempts >= options_.max_attempts) {
      logger_.Error("stuck",
                    With(LegFields(leg), {{"state", state},
                                          {"media_flowing", flowing == true ? "true" : "unknown"},
                                          {"attempts", std::to_string(pending.attempts)},
                                          {"correlation", correlation}}));
      report.stuck.push_back(leg);
      stuck_.insert(leg);
      pending_.erase(leg);
      continue;
    }
    logger_.Warn("still_up",
                 With(LegFields(leg), {{"state", state},
                                       {"since_drop", FormatDuration(now - pending.last_drop)},
                                       {"correlation", correlation}}));
    Drop(leg, pending.attempts + 1, now, report);
  }
}

void Reaper::ConfirmAndDrop(const Candidate& candidate, const CallConversation* conversation,
                            TimePoint now, StepReport& report) {
  const LegId leg{candidate.conversation_id, candidate.participant_id};
  if (conversation == nullptr) return Skip(leg, "conversation gone", report);
  if (conversation->Ended()) return Skip(leg, "conversation ended", report);
  const CallParticipant* participant = conversation->FindParticipant(leg.participant_id);
  if (participant == nullptr) return Skip(leg, "not a participant of the conversation", report);
  if (participant->state != "connected") return Skip(leg, "state " + participant->state, report);
  if (!PurposeAllowed(participant->purpose)) {
    return Skip(leg, "purpose " + participant->purpose + " not allowed", report);
  }
  report.confirmed.push_back(leg);
  if (options_.dry_run) {
    logger_.Info("would_drop",
                 With(LegFields(leg), {{"purpose", participant->purpose},
                                       {"silent_for", FormatDuration(now - candidate.silent_since)},
                                       {"correlation", conversation->correlation_id}}));
    return;
  }
  Drop(leg, 1, now, report);
}

void Reaper::Drop(const LegId& leg, int attempt, TimePoint tick, StepReport& report) {
  Result<PatchReply> reply =
      client_.PatchParticipant(leg.conversation_id, leg.participant_id, kDropBody);
  // When the drop was really accepted: a paced or retried PATCH lands after the tick began.
  const TimePoint now = reply.ok() ? clock_.Now() : tick;
  if (reply.ok()) {
    LogFields fields = With(LegFields(leg), {{"attempt", std::to_string(attempt)},
                                             {"status", std::to_string(reply->http_status)},
                                             {"correlation", reply->correlation_id}});
    if (!reply->ignored_fields.empty())
      fields.emplace_back("ignored_fields", reply->ignored_fields);
    logger_.Info("dropped", fields);
    report.dropped.push_back({leg, now, attempt, reply->http_status, reply->correlation_id});
    pending_[leg] = PendingLeg{attempt, now};
    return;
  }
  if (AlreadyGone(reply.status())) {
    if (attempt == 1) return Skip(leg, "already gone", report);
    // A retry answered "already disconnected": the state says down, yet verification saw it
    // up (media still flowing). Keep counting so it ends as verified or stuck.
    pending_[leg] = PendingLeg{attempt, now};
    logger_.Warn("drop_already_disconnected",
                 With(LegFields(leg), {{"attempt", std::to_string(attempt)},
                                       {"error", reply.status().ToString()}}));
    return;
  }
  logger_.Error("drop_failed", With(LegFields(leg), {{"attempt", std::to_string(attempt)},
                                                     {"error", reply.status().ToString()}}));
  report.errors.push_back({leg, reply.status()});
  // A failed first drop is retried when the leg is next a candidate; a failed retry still counts
  // toward max_attempts, so a leg cannot loop forever.
  if (attempt > 1) pending_[leg] = PendingLeg{attempt, now};
}

ReaperDaemon::ReaperDaemon(Reaper& reaper, StepCallback on_step)
    : reaper_(reaper),
      on_step_(std::move(on_step)),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

ReaperDaemon::~ReaperDaemon() { Stop(); }

void ReaperDaemon::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void ReaperDaemon::Run(std::stop_token stop) {
  Clock& clock = reaper_.clock();
  while (!stop.stop_requested()) {
    const TimePoint now = clock.Now();
    const StepReport report = reaper_.Step(now);
    if (on_step_) on_step_(report);
    if (!clock.WaitUntil(now + reaper_.options().poll_interval, stop)) break;
  }
}

}  // namespace gcsim::client
