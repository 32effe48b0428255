// Runs a scenario: the simulator and the client under test in one process on one ManualClock,
// talking real HTTP over loopback, jumping from event to event instead of waiting. An external
// client (a program of its own) runs as a child process instead, with the simulator on a
// scaled real clock and the child's clock kept in step by libfaketime.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gcsim/common/time.h"
#include "gcsim/core/journal.h"
#include "gcsim/harness/scenario.h"
#include "gcsim/harness/trace.h"

namespace gcsim::harness {

struct RunOptions {
  // Seeds the world's generated ids, the server's correlation ids and the client's jitter,
  // unless the scenario names its own seed.
  uint64_t seed = 1;
  // Keep the whole journal in the result (always kept when an expectation fails).
  bool keep_journal = false;
  // Server worker threads; the runner's clients use one connection each. An external client
  // gets at least 16: it may open connections as it likes.
  size_t server_threads = 4;
  // Record what the scenario looked like over time (ScenarioResult::trace), for
  // `gcsim run --html`. Reads the world a few hundred times per run.
  bool trace = false;
  // Called on the runner's thread as simulated time goes by (after each reaper tick, and once
  // at the end) with the time reached; for a progress line. Must not block.
  using ProgressFn = std::function<void(Duration simulated)>;
  ProgressFn progress;
  // `gcsim run --client-cmd`: this command is the client under test of every scenario that has
  // one (a bundled reaper or a client command), which then ignores expectFailure. Split into
  // words as a shell would (quotes, backslashes) and started directly: no expansion, no shell.
  std::optional<std::string> client_command;
  // `gcsim run --time-scale`: the speed of every scenario with an external client.
  std::optional<double> time_scale;
  // How long an external client has to stop after SIGTERM before it is killed (wall time).
  std::chrono::milliseconds stop_grace{3000};
};

// Figures of one run; the names match the scenario file's "metric" expectations.
struct RunMetrics {
  uint64_t drops = 0;              // drops: legs the reaper dropped
  uint64_t verified = 0;           // verified: drops the reaper saw take effect
  uint64_t stuck = 0;              // stuck: legs reported stuck
  uint64_t requests = 0;           // requests: the reaper's HTTP requests, token fetches included
  uint64_t too_many_requests = 0;  // tooManyRequests: 429s the reaper saw
  uint64_t retries = 0;            // retries
  uint64_t early_drops = 0;        // earlyDrops: drop requests, any attempt, any client, that
                                   // reached a leg heard within the idle timeout
  uint64_t idle_legs_left = 0;     // idleLegsLeft: at the end, legs silent past timeout + poll
  uint64_t idle_legs_unhandled = 0;  // idleLegsUnhandled: legs silent past timeout + poll +
                                     // disconnect latency (+ 3/R min under a budget of R a
                                     // minute) that no drop reached and the reaper reported
                                     // nothing about (no error, no stuck)
  uint64_t script_requests = 0;    // scriptRequests
  Duration max_lateness{};         // maxLatenessMs: drop time minus (silent since + timeout)
  Duration p50_lateness{};         // p50LatenessMs
  double requests_per_drop = 0;    // requestsPerDrop
  uint64_t no_op_patches = 0;      // noOpPatches: the client under test's PATCHes answered 2xx
                                   // that changed nothing
  uint64_t faults_injected = 0;    // faultsInjected: requests and drops fault episodes befell
  uint64_t failed_requests = 0;    // failedRequests: the client under test's requests answered
                                   // 429 or 5xx, or whose answer a fault lost
};

// Every figure by the name scenario files use, in a fixed order: the one table behind
// "metric" expectations, their validation and the JSON report.
std::vector<std::pair<std::string, double>> NamedMetrics(const RunMetrics& metrics);

struct Failure {
  std::string expectation;  // what was expected, in words
  std::string pointer;      // where the expectation is in the file
  std::string actual;       // what happened
  std::vector<std::string> journal;  // the journal lines that matter
};

// An external client's run: what it was, how it ended, what it wrote.
struct ClientReport {
  std::string command;  // as run, arguments joined with spaces
  double time_scale = 1;
  std::string exit;     // "exited with status 0", "ended by SIGTERM", ...
  std::optional<int> exit_code;    // when it exited
  std::optional<int> exit_signal;  // when a signal ended it
  std::string out;  // its stdout (the last 64 KiB)
  std::string err;  // its stderr (the last 64 KiB)
};

struct ScenarioResult {
  std::string name;
  std::string path;
  bool passed = false;
  std::string error;  // the scenario could not run (broken file, bad timeline event)
  Duration simulated{};
  Duration wall{};
  size_t expectations = 0;
  RunMetrics metrics;
  std::vector<Failure> failures;
  double speed = 0;  // simulated time / wall time
  bool expected_failure = false;  // expectFailure applied: passed means an expectation failed
  std::optional<ClientReport> client;  // an external client's run
  std::vector<std::string> findings;   // what the client under test did that needs a look
  std::vector<std::string> notes;  // timeline events that could not happen, and why
  std::vector<core::JournalEntry> journal;
  std::shared_ptr<const ScenarioTrace> trace;  // null unless RunOptions::trace
};

// Never throws; whatever goes wrong ends up in the result.
ScenarioResult RunScenario(const Scenario& scenario, const RunOptions& options = {});

// --client-cmd's words, split as a shell splits them (blanks; quotes and backslashes keep them
// together) but expanding nothing: the program is started directly, so that its own clock
// starts with it, not with a shell's. An error for a quote left open or no word at all.
Result<std::vector<std::string>> SplitCommand(const std::string& text);

// The client under test runs as a program of its own: a scenario's "client", or any client
// replaced by options.client_command.
bool RunsExternalClient(const Scenario& scenario, const RunOptions& options);

// Where libfaketime's preload library is (GCSIM_LIBFAKETIME, else the usual install paths), or
// an error that says how to install it.
Result<std::string> FindLibfaketime();

// A result for a file that could not be loaded.
ScenarioResult BrokenScenario(const std::string& path, const Status& error);

}  // namespace gcsim::harness
