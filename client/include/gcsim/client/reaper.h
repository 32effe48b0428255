// The reaper: drops conference legs that have been silent for the idle timeout, the way that
// works (`{"state":"disconnected"}` on the generic participant endpoint), then checks that they
// really went and tries again a bounded number of times. Step() is the whole decision for one
// tick; ReaperDaemon is a thin thread that calls it every poll interval.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gcsim/client/activity_source.h"
#include "gcsim/client/api_client.h"
#include "gcsim/client/logger.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/status.h"
#include "gcsim/common/time.h"

namespace gcsim::client {

// Every purpose a leg may have, and the ones a reaper may be told to drop.
inline const std::vector<std::string> kAllPurposes = {"agent",    "user", "customer",
                                                      "external", "acd",  "ivr"};

struct ReaperOptions {
  // A leg silent at least this long is dropped (exactly the timeout counts as idle).
  Duration idle_timeout = std::chrono::minutes(10);
  // Time between ticks of the daemon.
  Duration poll_interval = std::chrono::seconds(15);
  // Only legs with these purposes are dropped; the default leaves system legs (acd, ivr) alone.
  std::vector<std::string> purposes = {"agent", "user", "customer", "external"};
  // A dropped leg still up this long after the drop is dropped again.
  Duration verify_timeout = std::chrono::seconds(30);
  // Drops per leg before it is reported stuck.
  int max_attempts = 3;
  // Log "would drop" and drop nothing.
  bool dry_run = false;
};

// The one check of the settings, shared by the reaper CLI and scenario files. An error's
// reason() names the setting as scenario files spell it ("idleTimeout"), its message says why.
Status ValidateReaperOptions(const ReaperOptions& options);

struct LegId {
  std::string conversation_id;
  std::string participant_id;
  auto operator<=>(const LegId&) const = default;
};

struct DroppedLeg {
  LegId leg;
  TimePoint at;                // when the PATCH was accepted (on the reaper's clock)
  int attempt = 1;             // 1 for the first drop, 2+ for retries
  int http_status = 0;         // 202, or 204 from servers that say "changed nothing"
  std::string correlation_id;  // of the PATCH response
};

struct SkippedLeg {
  LegId leg;
  std::string reason;  // "already being handled", "purpose acd not allowed", "state alerting", ...
};

struct LegError {
  LegId leg;  // ids empty when the error is not about one leg (e.g. the activity source)
  Status status;
};

// What one tick saw and did.
struct StepReport {
  TimePoint at;
  std::vector<Candidate> candidates;  // as the activity source reported them
  std::vector<LegId> confirmed;       // live, connected, allowed: dropped unless dry-run
  std::vector<DroppedLeg> dropped;    // first drops and retries
  std::vector<LegId> verified;        // dropped earlier, now gone
  std::vector<LegId> stuck;           // still up after max_attempts drops; reported once
  std::vector<SkippedLeg> skipped;
  std::vector<LegError> errors;
  uint64_t requests = 0;  // HTTP requests this tick cost
};

// Cumulative since the reaper was made.
struct ReaperTotals {
  uint64_t legs_seen = 0;  // legs the source reported idle, once per stretch of idleness
  uint64_t dropped = 0;    // distinct legs dropped (retries not counted again)
  uint64_t verified = 0;
  uint64_t stuck = 0;
  uint64_t errors = 0;
  uint64_t requests = 0;      // from the client: every HTTP request
  uint64_t rate_limited = 0;  // 429s seen
  uint64_t retries = 0;
};

// Step(), VerifyPending() and pending() must be called from one thread at a time; totals() is
// safe from any thread. Does not own the client, source, clock or logger.
class Reaper {
 public:
  Reaper(ReaperOptions options, ApiClient& client, ActivitySource& source, Clock& clock,
         Logger& logger);
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // One tick at `now`: find candidates, verify earlier drops (retrying or giving up on legs
  // still up after verify_timeout), confirm each new candidate on the API and drop it.
  // Costs one activity-source fetch, one GET per conversation with candidates or pending legs,
  // and one PATCH per drop. Waits only where the client does (429, backoff).
  StepReport Step(TimePoint now);

  // Verification only: refreshes the source and checks pending legs; drops nothing, neither
  // new candidates nor retries. For a one-shot run waiting to see its drops take effect.
  StepReport VerifyPending(TimePoint now);

  // Legs dropped and not yet verified or reported stuck.
  size_t pending() const { return pending_.size(); }
  ReaperTotals totals() const;
  const ReaperOptions& options() const { return options_; }
  Clock& clock() const { return clock_; }

 private:
  struct PendingLeg {
    int attempts = 0;
    TimePoint last_drop;
  };

  StepReport Tick(TimePoint now, bool act);
  // Checks the pending legs of one conversation (`conversation` null: it is gone).
  void VerifyConversation(const std::string& conversation_id, const CallConversation* conversation,
                          TimePoint now, bool act, StepReport& report);
  void ConfirmAndDrop(const Candidate& candidate, const CallConversation* conversation,
                      TimePoint now, StepReport& report);
  void Drop(const LegId& leg, int attempt, TimePoint now, StepReport& report);
  bool PurposeAllowed(const std::string& purpose) const;
  void Skip(const LegId& leg, std::string reason, StepReport& report);

  const ReaperOptions options_;
  ApiClient& client_;
  ActivitySource& source_;
  Clock& clock_;
  Logger& logger_;

  std::map<LegId, PendingLeg> pending_;  // ordered: a conversation's legs are adjacent
  std::set<LegId> stuck_;                // not dropped again while they stay candidates
  std::set<LegId> last_candidates_;      // the previous tick's, for legs_seen

  mutable std::mutex totals_mu_;  // guards totals_ only, never held across a call out
  ReaperTotals totals_;
};

// Calls reaper.Step(clock.Now()) every poll interval on its own thread. The reaper's logic runs
// under no lock of the daemon's. Stops and joins in its destructor; a stop takes effect between
// ticks (a tick in progress, including a client's Retry-After wait, finishes first). While it
// runs, it is the reaper's one caller: others may read only reaper.totals(). Stop() and the
// destructor are for the owning thread.
class ReaperDaemon {
 public:
  using StepCallback = std::function<void(const StepReport&)>;

  // Starts at once. `on_step`, if set, sees each report on the daemon thread.
  explicit ReaperDaemon(Reaper& reaper, StepCallback on_step = {});
  ~ReaperDaemon();
  ReaperDaemon(const ReaperDaemon&) = delete;
  ReaperDaemon& operator=(const ReaperDaemon&) = delete;

  // Requests a stop and joins; idempotent.
  void Stop();

 private:
  void Run(std::stop_token stop);

  Reaper& reaper_;
  const StepCallback on_step_;
  std::jthread thread_;  // last: starts once the members above are ready
};

}  // namespace gcsim::client
