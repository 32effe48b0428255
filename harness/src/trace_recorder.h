// Records a ScenarioTrace while the runner runs: samples of the world on clock timers, the
// journal's entries as they are appended, the reaper's ticks and warnings.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "gcsim/core/journal.h"
#include "gcsim/core/simulator.h"
#include "gcsim/harness/trace.h"

namespace gcsim::harness {

// Thread-safe: the journal's tap calls NoteEntry() on server threads.
class TraceRecorder {
 public:
  // Columns of the picture: enough to show a ten-second burst in a thirty-minute run.
  static constexpr size_t kSamples = 600;

  TraceRecorder(TimePoint t0, Duration run_for, Duration idle_timeout);

  // When to call Sample(), from t0: every step, the last one at the end of the run.
  std::vector<Duration> SampleTimes() const;
  void Sample(const core::WorldView& world);
  void NoteEntry(const core::JournalEntry& entry);
  void NoteTick(TimePoint at);
  void NoteWarning(TimePoint at, const std::string& participant_id, const std::string& text);
  // The trace, with each leg's end as the world shows it now.
  std::shared_ptr<const ScenarioTrace> Finish(const core::WorldView& world,
                                              const std::vector<Duration>& lateness);

 private:
  size_t BucketOf(TimePoint at) const;
  LegTrace& LegFor(const core::Participant& leg, const core::WorldView& world);

  const TimePoint t0_;
  std::mutex mu_;
  ScenarioTrace trace_;
  size_t sampled_ = 0;  // samples taken so far
  TimePoint last_sample_;
  std::map<std::string, size_t> leg_index_;                    // participant id -> trace_.legs
  std::map<std::string, std::set<Duration::rep>> idle_crossings_;  // participant id -> idle_at
  std::map<std::string, std::vector<LegWarning>> warnings_;
};

}  // namespace gcsim::harness
