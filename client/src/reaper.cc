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
  if (options.concurrency < 1 || options.concurrency > kMaxConcurrency) {
    return InvalidArgumentError("must be 1 to " + std::to_string(kMaxConcurrency), "concurrency");
  }
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

size_t Reaper::pending() const {
  return std::count_if(legs_.begin(), legs_.end(),
                       [](const auto& entry) { return entry.second.last_drop.has_value(); });
}

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
  totals.failed_requests = counters.failed;
  return totals;
}

bool Reaper::PurposeAllowed(const std::string& purpose) const {
  return std::find(options_.purposes.begin(), options_.purposes.end(), purpose) !=
         options_.purposes.end();
}

void Reaper::Skip(const LegId& leg, std::string reason, StepReport& report, LogLevel level) {
  logger_.Log(level, "skip", With(LegFields(leg), {{"reason", reason}}));
  report.skipped.push_back({leg, std::move(reason)});
}

StepReport Reaper::Tick(TimePoint now, bool act) {
  StepReport report;
  report.at = now;
  const uint64_t requests_before = client_.counters().requests;
  uint64_t new_legs = 0;

  // The evidence counts as read when the fetch began, so that a wait between two of its pages
  // makes all of it stale.
  const EvidenceRead read{client_.counters().waits, clock_.Now()};
  Result<std::vector<Candidate>> candidates = source_.Candidates(now, options_.idle_timeout);
  // Conversation id -> its new candidates; ordered, so a tick's requests come in a stable order.
  std::map<std::string, std::vector<Candidate>> to_confirm;
  std::map<LegId, Candidate> idle;  // every candidate, for retries
  if (!candidates.ok()) {
    // Without a fresh view, verification could be fooled and drops could be unsafe: wait for
    // the next tick.
    logger_.Error("activity_source_failed",
                  {{"source", source_.name()}, {"error", candidates.status().ToString()}});
    report.errors.push_back({{}, candidates.status()});
  } else {
    for (const Candidate& candidate : *candidates) {
      idle.emplace(LegId{candidate.conversation_id, candidate.participant_id}, candidate);
    }
  }
  if (candidates.ok() && act) {
    // Memory stays proportional to the current candidates: a leg counts as seen once per
    // stretch of idleness, and a leg that stops being a candidate (heard again, or gone) is
    // forgotten unless a drop of it awaits verification, so a later stretch starts afresh.
    const auto not_idle = [&idle](const LegId& leg) { return idle.count(leg) == 0; };
    std::erase_if(stuck_, not_idle);
    std::erase_if(unreachable_, not_idle);
    std::erase_if(
        legs_, [&](const auto& entry) { return !entry.second.last_drop && not_idle(entry.first); });
    for (const Candidate& candidate : *candidates) {
      const LegId leg{candidate.conversation_id, candidate.participant_id};
      report.candidates.push_back(candidate);
      if (last_candidates_.count(leg) == 0) ++new_legs;
      const auto progress = legs_.find(leg);
      if ((progress != legs_.end() && progress->second.last_drop) || stuck_.count(leg) > 0) {
        Skip(leg, "already being handled", report);
      } else if (!candidate.purpose.empty() && !PurposeAllowed(candidate.purpose)) {
        Skip(leg, "purpose " + candidate.purpose + " not allowed", report);
      } else if (now - candidate.silent_since < options_.idle_timeout) {
        Skip(leg, "heard within the idle timeout", report);
      } else {
        to_confirm[candidate.conversation_id].push_back(candidate);
      }
    }
    last_candidates_.clear();
    for (const auto& [leg, unused] : idle) last_candidates_.insert(leg);
  }

  if (candidates.ok()) {
    // One GET per conversation serves its new candidates and its pending legs alike.
    std::set<std::string> conversation_ids;
    for (const auto& [id, unused] : to_confirm) conversation_ids.insert(id);
    for (const auto& [leg, progress] : legs_) {
      if (progress.last_drop) conversation_ids.insert(leg.conversation_id);
    }
    // Read all at once when allowed: the answers are taken in the same order either way.
    std::vector<Result<CallConversation>> fetched;
    if (options_.concurrency > 1) {
      fetched = client_.GetCallConversations({conversation_ids.begin(), conversation_ids.end()},
                                             options_.concurrency);
    }
    size_t next_fetched = 0;
    for (const std::string& conversation_id : conversation_ids) {
      Result<CallConversation> conversation = fetched.empty()
                                                  ? client_.GetCallConversation(conversation_id)
                                                  : std::move(fetched[next_fetched++]);
      if (!conversation.ok() && conversation.status().code() != StatusCode::kNotFound) {
        logger_.Error("read_conversation_failed", {{"conversation", conversation_id},
                                                   {"error", conversation.status().ToString()}});
        report.errors.push_back({{conversation_id, ""}, conversation.status()});
        if (!act) continue;
        // Each leg this read was for has had an attempt, and it failed.
        const std::string why = conversation.status().message();
        std::vector<std::pair<LegId, TimePoint>> attempted;
        for (const Candidate& candidate : to_confirm[conversation_id]) {
          attempted.push_back(
              {{conversation_id, candidate.participant_id}, candidate.silent_since});
        }
        for (auto it = legs_.lower_bound(LegId{conversation_id, ""});
             it != legs_.end() && it->first.conversation_id == conversation_id; ++it) {
          const LegProgress& progress = it->second;
          if (progress.last_drop && now - *progress.last_drop >= options_.verify_timeout) {
            attempted.push_back({it->first, progress.silent_since});
          }
        }
        for (const auto& [leg, silent_since] : attempted) {
          FailAttempt(leg, silent_since, why, report);
        }
        continue;
      }
      const CallConversation* current = conversation.ok() ? &*conversation : nullptr;
      VerifyConversation(conversation_id, current, idle, read, now, act, report);
      for (const Candidate& candidate : to_confirm[conversation_id]) {
        ConfirmAndDrop(candidate, current, read, report);
      }
    }
  }

  report.requests = client_.counters().requests - requests_before;
  if (client_.stopped()) {
    // Calls cut short by a stop are not failures of the API.
    std::erase_if(report.errors,
                  [](const LegError& e) { return e.status.reason() == kStoppedReason; });
  }
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
                         {"pending", std::to_string(pending())},
                         {"requests", std::to_string(report.requests)}});
  return report;
}

void Reaper::VerifyConversation(const std::string& conversation_id,
                                const CallConversation* conversation,
                                const std::map<LegId, Candidate>& idle, const EvidenceRead& read,
                                TimePoint now, bool act, StepReport& report) {
  const std::string correlation = conversation ? conversation->correlation_id : "";
  // The legs first: verifying, giving up and dropping again may each forget a leg.
  std::vector<LegId> dropped;
  for (auto it = legs_.lower_bound(LegId{conversation_id, ""});
       it != legs_.end() && it->first.conversation_id == conversation_id; ++it) {
    if (it->second.last_drop) dropped.push_back(it->first);
  }
  for (const LegId& leg : dropped) {
    LegProgress& progress = legs_.at(leg);
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
                                                     {"drops", std::to_string(progress.drops)},
                                                     {"correlation", correlation}}));
      report.verified.push_back(leg);
      legs_.erase(leg);
      continue;
    }
    if (!act || now - *progress.last_drop < options_.verify_timeout) continue;
    if (progress.attempts() >= options_.max_attempts) {
      std::string why = "still up after " + std::to_string(progress.drops) + " drops (state " +
                        state + ", media " + (flowing == true ? "flowing" : "unknown") + ")";
      if (progress.failures > 0) {
        why += "; " + std::to_string(progress.failures) +
               " attempts failed, last: " + progress.last_failure;
      }
      ReportStuck(leg, std::move(why), report);
      stuck_.insert(leg);
      legs_.erase(leg);
      continue;
    }
    // A retry is a new decision and needs what a first drop needs: the leg idle now, in the
    // stretch of silence the first drop acted on, and the same leg rather than a new one that
    // came back under its id (after a reset, say).
    const auto evidence = idle.find(leg);
    std::string changed;
    if (evidence == idle.end() || evidence->second.silent_since != progress.silent_since) {
      changed = "heard since the drop";
    } else if (participant != nullptr && participant->connected_time != progress.connected_time) {
      changed = "a new leg under the same id";
    }
    if (!changed.empty()) {
      Skip(leg, changed + "; not dropped again", report, LogLevel::kInfo);
      legs_.erase(leg);
      continue;
    }
    logger_.Warn("still_up",
                 With(LegFields(leg), {{"state", state},
                                       {"since_drop", FormatDuration(now - *progress.last_drop)},
                                       {"correlation", correlation}}));
    DropIfStillIdle(leg, progress.silent_since, participant, read, report);
  }
}

void Reaper::ConfirmAndDrop(const Candidate& candidate, const CallConversation* conversation,
                            const EvidenceRead& read, StepReport& report) {
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
  DropIfStillIdle(leg, candidate.silent_since, participant, read, report);
}

void Reaper::DropIfStillIdle(const LegId& leg, TimePoint silent_since,
                             const CallParticipant* participant, const EvidenceRead& read,
                             StepReport& report) {
  // Every decision to drop rests on evidence read after the last wait, and after the last
  // answer that took time. The client waits in three places only: (1) in the tick's earlier
  // requests, which its wait counter records; (2) right here, before the evidence is judged, to
  // have the rate budget and a token ready; (3) inside the re-check below, before that one
  // request is sent. So: evidence read before a wait, or before time passed (a slow answer to
  // the confirming GET, a long tick), is read again, and nothing waits between that read and
  // the PATCH, which may not wait at all (WaitPolicy::kNever): a PATCH that would have to wait,
  // or that fails, is a failed attempt, and the leg is decided again on a later tick, on fresh
  // evidence. Speech after the re-read is carried out is a round trip no read can see into.
  if (Status ready = client_.WaitUntilReady(); !ready.ok()) {
    report.errors.push_back({leg, ready});
    return FailAttempt(leg, silent_since, ready.message(), report);
  }
  const TimePoint now = clock_.Now();
  if (client_.counters().waits != read.waits || now != read.at) {
    Result<std::optional<TimePoint>> fresh =
        source_.SilentSince(leg.conversation_id, leg.participant_id, now);
    if (!fresh.ok()) {
      logger_.Error("recheck_failed", With(LegFields(leg), {{"error", fresh.status().ToString()}}));
      report.errors.push_back({leg, fresh.status()});
      return FailAttempt(leg, silent_since, fresh.status().message(), report);
    }
    if (!*fresh || now - **fresh < options_.idle_timeout) {
      // Heard since the candidates were read (or gone): a new stretch of silence, if any,
      // starts afresh.
      legs_.erase(leg);
      return Skip(
          leg,
          (*fresh ? "heard at " + FormatIso8601(**fresh) : "no longer silent (heard or gone)") +
              ", after its silence was read at " + FormatIso8601(read.at),
          report, LogLevel::kInfo);
    }
    silent_since = **fresh;
  }
  if (options_.dry_run) {
    logger_.Info("would_drop",
                 With(LegFields(leg), {{"purpose", participant ? participant->purpose : ""},
                                       {"silent_for", FormatDuration(now - silent_since)}}));
    return;
  }

  Result<PatchReply> reply = client_.PatchParticipant(leg.conversation_id, leg.participant_id,
                                                      kDropBody, WaitPolicy::kNever);
  const TimePoint at = clock_.Now();
  LegProgress& progress = legs_[leg];
  if (progress.attempts() == 0) progress.silent_since = silent_since;
  if (reply.ok()) {
    ++progress.drops;
    progress.last_drop = at;
    progress.silent_since = silent_since;
    if (participant != nullptr) progress.connected_time = participant->connected_time;
    LogFields fields = With(LegFields(leg), {{"attempt", std::to_string(progress.drops)},
                                             {"status", std::to_string(reply->http_status)},
                                             {"silent_since", FormatIso8601(silent_since)},
                                             {"correlation", reply->correlation_id}});
    if (progress.failures > 0)
      fields.emplace_back("failed_attempts", std::to_string(progress.failures));
    if (!reply->ignored_fields.empty()) {
      fields.emplace_back("ignored_fields", reply->ignored_fields);
    }
    logger_.Info("dropped", fields);
    report.dropped.push_back(
        {leg, at, progress.drops, reply->http_status, reply->correlation_id, silent_since});
    if (progress.drops == 1) {
      const Duration lateness = at - (silent_since + options_.idle_timeout);
      std::lock_guard lock(totals_mu_);
      totals_.max_lateness = std::max(totals_.max_lateness, lateness);
    }
    return;
  }
  if (AlreadyGone(reply.status())) {
    if (progress.drops == 0) {
      legs_.erase(leg);
      return Skip(leg, "already gone", report);
    }
    // A retry answered "already disconnected": the state says down, yet verification saw it
    // up (media still flowing). Keep counting so it ends as verified or stuck.
    ++progress.drops;
    progress.last_drop = at;
    logger_.Warn("drop_already_disconnected",
                 With(LegFields(leg), {{"attempt", std::to_string(progress.drops)},
                                       {"error", reply.status().ToString()}}));
    return;
  }
  logger_.Error("drop_failed", With(LegFields(leg), {{"error", reply.status().ToString()}}));
  report.errors.push_back({leg, reply.status()});
  FailAttempt(leg, silent_since, reply.status().message(), report);
}

void Reaper::FailAttempt(const LegId& leg, TimePoint silent_since, const std::string& why,
                         StepReport& report) {
  if (client_.stopped()) return;  // cut short by a stop: not an attempt
  LegProgress& progress = legs_[leg];
  if (progress.attempts() == 0) progress.silent_since = silent_since;
  ++progress.failures;
  progress.last_failure = why;
  {
    std::lock_guard lock(totals_mu_);
    ++totals_.failed_attempts;
  }
  logger_.Warn("attempt_failed",
               With(LegFields(leg), {{"attempt", std::to_string(progress.attempts()) + "/" +
                                                     std::to_string(options_.max_attempts)},
                                     {"why", why}}));
  if (progress.attempts() < options_.max_attempts) return;
  if (progress.drops > 0) {
    // It took drops and stayed up, and now cannot even be reached: as good as stuck.
    ReportStuck(leg,
                "still up after " + std::to_string(progress.drops) + " drops; " +
                    std::to_string(progress.failures) + " attempts failed, last: " + why,
                report);
    stuck_.insert(leg);
  } else if (unreachable_.insert(leg).second) {
    ReportStuck(
        leg, "unreachable: " + std::to_string(progress.failures) + " failed attempts, last: " + why,
        report);
  }
  // An unreachable leg keeps being tried, on fresh attempts: the trouble may pass.
  legs_.erase(leg);
}

void Reaper::ReportStuck(const LegId& leg, std::string why, StepReport& report) {
  logger_.Error("stuck", With(LegFields(leg), {{"why", why}}));
  report.stuck.push_back({leg, std::move(why)});
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
