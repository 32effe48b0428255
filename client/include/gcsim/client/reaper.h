// The reaper: drops conference legs that have been silent for the idle timeout, the way that
// works (`{"state":"disconnected"}` on the generic participant endpoint), then checks that they
// really went and tries again a bounded number of times. Step() is the whole decision for one
// tick; ReaperDaemon is a thin thread that calls it every poll interval.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
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

// The most requests a reaper sends at once (ReaperOptions::concurrency).
inline constexpr int kMaxConcurrency = 64;

struct ReaperOptions {
  // A leg silent at least this long is dropped (exactly the timeout counts as idle).
  Duration idle_timeout = std::chrono::minutes(10);
  // Time between ticks of the daemon.
  Duration poll_interval = std::chrono::seconds(15);
  // Only legs with these purposes are dropped; the default leaves system legs (acd, ivr) alone.
  std::vector<std::string> purposes = {"agent", "user", "customer", "external"};
  // A dropped leg still up this long after the drop is dropped again.
  Duration verify_timeout = std::chrono::seconds(30);
  // Attempts per leg before it is reported stuck: drops sent, and attempts that failed (a
  // 429, a 5xx or no answer on the leg's GET, re-check or PATCH).
  int max_attempts = 3;
  // Log "would drop" and drop nothing.
  bool dry_run = false;
  // A tick's reads of conversations (its GETs) go this many at once, each over a connection of
  // its own; its drops still go one at a time, each right after its own checks.
  int concurrency = 1;
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
  int attempt = 1;             // 1 for the leg's first accepted drop, 2+ for drops sent again
  int http_status = 0;         // 202, or 204 from servers that say "changed nothing"
  std::string correlation_id;  // of the PATCH response
  TimePoint silent_since;      // the evidence the drop rested on, read after the last wait
};

struct SkippedLeg {
  LegId leg;
  std::string reason;  // "already being handled", "purpose acd not allowed", "state alerting", ...
};

struct LegError {
  LegId leg;  // ids empty when the error is not about one leg (e.g. the activity source)
  Status status;
};

struct StuckLeg {
  LegId leg;
  // "still up after 3 drops (state connected, media flowing)" or
  // "unreachable: 3 failed attempts; last: PATCH ...: HTTP 429 ..."
  std::string why;
};

// What one tick saw and did.
struct StepReport {
  TimePoint at;
  std::vector<Candidate> candidates;  // as the activity source reported them
  std::vector<LegId> confirmed;       // live, connected, allowed: dropped unless dry-run
  std::vector<DroppedLeg> dropped;    // first drops and retries
  std::vector<LegId> verified;        // dropped earlier, now gone
  std::vector<StuckLeg> stuck;        // attempts spent; reported once per stretch of silence
  std::vector<SkippedLeg> skipped;
  std::vector<LegError> errors;  // every failed request, and each failed attempt on a leg
  uint64_t requests = 0;         // HTTP requests this tick cost
};

// Cumulative since the reaper was made.
struct ReaperTotals {
  uint64_t legs_seen = 0;  // legs the source reported idle, once per stretch of idleness
  uint64_t dropped = 0;    // distinct legs dropped (retries not counted again)
  uint64_t verified = 0;
  uint64_t stuck = 0;
  uint64_t errors = 0;
  uint64_t failed_attempts = 0;  // attempts on a leg that failed (they count toward stuck)
  Duration max_lateness{0};      // worst first drop: accepted at - (silent since + timeout)
  uint64_t requests = 0;         // from the client: every HTTP request
  uint64_t rate_limited = 0;     // 429s seen
  uint64_t retries = 0;
  uint64_t failed_requests = 0;  // requests that failed for good (after retries, if any)
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
  // one PATCH per drop, and one re-check of the leg before a drop when the client has waited
  // since the fetch. Waits only where the client does (pacing, 429, backoff), never between
  // reading a leg's silence and dropping it.
  StepReport Step(TimePoint now);

  // Verification only: refreshes the source and checks pending legs; drops nothing, neither
  // new candidates nor retries. For a one-shot run waiting to see its drops take effect.
  StepReport VerifyPending(TimePoint now);

  // Legs dropped and not yet verified or reported stuck.
  size_t pending() const;
  ReaperTotals totals() const;
  const ReaperOptions& options() const { return options_; }
  Clock& clock() const { return clock_; }

 private:
  // A leg the reaper has acted on in its current stretch of silence.
  struct LegProgress {
    int drops = 0;                            // drops accepted
    int failures = 0;                         // attempts that failed
    std::optional<TimePoint> last_drop;       // set while a drop awaits verification
    TimePoint silent_since;                   // the stretch of silence acted on
    std::optional<TimePoint> connected_time;  // tells the leg dropped from a new one, same id
    std::string last_failure;
    int attempts() const { return drops + failures; }
  };

  // When the tick's evidence was read: it is stale once the client has waited since, or once
  // any time has passed (a slow answer, a long tick on a real clock).
  struct EvidenceRead {
    uint64_t waits = 0;
    TimePoint at;
  };

  StepReport Tick(TimePoint now, bool act);
  // Checks the pending legs of one conversation (`conversation` null: it is gone); when `act`,
  // drops again those still up after verify_timeout, on the same terms as a first drop.
  void VerifyConversation(const std::string& conversation_id, const CallConversation* conversation,
                          const std::map<LegId, Candidate>& idle, const EvidenceRead& read,
                          TimePoint now, bool act, StepReport& report);
  void ConfirmAndDrop(const Candidate& candidate, const CallConversation* conversation,
                      const EvidenceRead& read, StepReport& report);
  // The one way to a PATCH, for first drops and retries alike (see the comment inside).
  void DropIfStillIdle(const LegId& leg, TimePoint silent_since, const CallParticipant* participant,
                       const EvidenceRead& read, StepReport& report);
  // Counts a failed attempt on `leg`; reports it stuck once its attempts are spent.
  void FailAttempt(const LegId& leg, TimePoint silent_since, const std::string& why,
                   StepReport& report);
  void ReportStuck(const LegId& leg, std::string why, StepReport& report);
  bool PurposeAllowed(const std::string& purpose) const;
  void Skip(const LegId& leg, std::string reason, StepReport& report,
            LogLevel level = LogLevel::kDebug);

  const ReaperOptions options_;
  ApiClient& client_;
  ActivitySource& source_;
  Clock& clock_;
  Logger& logger_;

  std::map<LegId, LegProgress> legs_;  // ordered: a conversation's legs are adjacent
  // Reported stuck after drops that were accepted and did not take: not dropped again while
  // they stay candidates.
  std::set<LegId> stuck_;
  // Reported stuck because they could not be reached: still tried (the trouble may pass), not
  // reported again while they stay candidates.
  std::set<LegId> unreachable_;
  std::set<LegId> last_candidates_;  // the previous tick's, for legs_seen

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
