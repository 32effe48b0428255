#include "trace_recorder.h"

#include <algorithm>

namespace gcsim::harness {

TraceRecorder::TraceRecorder(TimePoint t0, Duration run_for, Duration idle_timeout)
    : t0_(t0), last_sample_(t0) {
  trace_.run_for = run_for;
  trace_.idle_timeout = idle_timeout;
  trace_.step = std::max(Duration(1), run_for / static_cast<Duration::rep>(kSamples));
  trace_.samples = run_for.count() <= 0
                       ? 0
                       : static_cast<size_t>((run_for + trace_.step - Duration(1)) / trace_.step);
  trace_.requests_ok.assign(trace_.samples, 0);
  trace_.requests_throttled.assign(trace_.samples, 0);
  trace_.requests_failed.assign(trace_.samples, 0);
}

std::vector<Duration> TraceRecorder::SampleTimes() const {
  std::vector<Duration> times;
  for (size_t k = 1; k <= trace_.samples; ++k) {
    times.push_back(std::min(trace_.step * static_cast<Duration::rep>(k), trace_.run_for));
  }
  return times;
}

size_t TraceRecorder::BucketOf(TimePoint at) const {
  if (trace_.samples == 0 || at <= t0_) return 0;
  return std::min(static_cast<size_t>((at - t0_) / trace_.step), trace_.samples - 1);
}

LegTrace& TraceRecorder::LegFor(const core::Participant& leg, const core::WorldView& world) {
  const auto [it, added] = leg_index_.emplace(leg.id, trace_.legs.size());
  if (!added) return trace_.legs[it->second];
  LegTrace& trace = trace_.legs.emplace_back();
  trace.id = leg.id;
  trace.name = leg.name.str();
  if (trace.name.empty() && !leg.user_id.empty()) {
    if (const core::User* user = world.FindUser(leg.user_id)) trace.name = user->name;
  }
  if (trace.name.empty()) trace.name = leg.address.str();
  trace.purpose = core::ToString(leg.purpose);
  trace.conversation_id = leg.conversation_id();
  trace.samples.assign(sampled_, LegSample::kAbsent);
  return trace;
}

void TraceRecorder::Sample(const core::WorldView& world) {
  std::lock_guard lock(mu_);
  if (sampled_ >= trace_.samples) return;
  const TimePoint now = world.now();
  if (trace_.per_leg) {
    size_t legs = 0;
    for (const core::Conversation* conv : world.ConversationsByStart()) {
      legs += conv->participants.size();
      if (legs > kMaxTracedLegs) break;
    }
    if (legs > kMaxTracedLegs) {
      // Too many rows to read at a glance: the picture shows the run's figures instead.
      trace_.per_leg = false;
      trace_.legs.clear();
      leg_index_.clear();
      idle_crossings_.clear();
    }
  }
  if (trace_.per_leg) {
    for (const core::Conversation* conv : world.ConversationsByStart()) {
      for (const core::Participant* leg : conv->participants) {
        LegTrace& trace = LegFor(*leg, world);
        const core::MediaState media = world.Media(*leg);
        const bool live = core::IsLive(leg->state);
        // Heard at any moment since the last sample, however short, counts.
        const bool heard = media.last_heard_at && *media.last_heard_at > last_sample_;
        LegSample sample = LegSample::kSilent;
        if (!live && leg->end_time && *leg->end_time <= last_sample_) {
          sample = LegSample::kGone;
        } else if (heard) {
          sample = LegSample::kHeard;
        } else if (leg->held) {
          sample = LegSample::kHeld;
        } else if (leg->muted) {
          sample = LegSample::kMuted;
        }
        trace.samples.push_back(sample);
        if (live && media.silent_for >= trace_.idle_timeout) {
          idle_crossings_[leg->id].insert(
              (media.silent_since + trace_.idle_timeout - t0_).count());
        }
      }
    }
  }
  last_sample_ = now;
  ++sampled_;
}

void TraceRecorder::NoteEntry(const core::JournalEntry& entry) {
  if (entry.kind != "request") return;
  std::lock_guard lock(mu_);
  if (trace_.samples > 0) {
    const size_t bucket = BucketOf(entry.at);
    if (entry.status < 400) {
      ++trace_.requests_ok[bucket];
    } else if (entry.status == 429) {
      ++trace_.requests_throttled[bucket];
    } else {
      ++trace_.requests_failed[bucket];
    }
  }
  const bool participant_patch = entry.method == "PATCH" && !entry.participant_id.empty();
  if (participant_patch || entry.drop_silent_since) {
    trace_.patches.push_back(
        {.at = entry.at - t0_,
         .participant_id = entry.participant_id,
         .conversation_id = entry.conversation_id,
         .client_id = entry.client_id,
         .status = entry.status,
         .drop = entry.drop_silent_since.has_value(),
         .changed_nothing = entry.changed_nothing,
         .ignored_fields = entry.ignored_fields,
         .silent_for = entry.drop_silent_since ? entry.at - *entry.drop_silent_since : Duration{},
         .early = core::IsEarlyDrop(entry, trace_.idle_timeout)});
  }
}

void TraceRecorder::NoteTick(TimePoint at) {
  std::lock_guard lock(mu_);
  trace_.ticks.push_back(at - t0_);
}

void TraceRecorder::NoteWarning(TimePoint at, const std::string& participant_id,
                                const std::string& text) {
  std::lock_guard lock(mu_);
  warnings_[participant_id].push_back({.at = at - t0_, .text = text});
}

std::shared_ptr<const ScenarioTrace> TraceRecorder::Finish(const core::WorldView& world,
                                                           const std::vector<Duration>& lateness) {
  std::lock_guard lock(mu_);
  auto trace = std::make_shared<ScenarioTrace>(trace_);
  trace->lateness = lateness;
  std::sort(trace->lateness.begin(), trace->lateness.end());
  for (LegTrace& leg : trace->legs) {
    leg.samples.resize(trace->samples, LegSample::kAbsent);  // a run cut short
    if (const core::Participant* now = world.FindParticipant(leg.id)) {
      if (!core::IsLive(now->state) && now->end_time) leg.ended_at = *now->end_time - t0_;
      leg.disconnect_type = core::ToString(now->disconnect_type);
    }
    for (const Duration::rep at : idle_crossings_[leg.id]) leg.idle_at.push_back(Duration(at));
    leg.warnings = warnings_[leg.id];
  }
  return trace;
}

}  // namespace gcsim::harness
