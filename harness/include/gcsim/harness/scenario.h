// A scenario: a world, what happens in it over time, the client under test, how long to run,
// and what must be true. Loaded from one JSON file (comments allowed); the format is
// documented field by field in scenarios/README.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcsim/client/reaper.h"
#include "gcsim/common/status.h"
#include "gcsim/common/time.h"
#include "gcsim/core/world.h"

namespace gcsim::harness {

// Something the world does by itself at a simulated time. Legs are named by participant id,
// or by the name an earlier "transfer" or "join" event gave with "as".
struct TimelineEvent {
  enum class Kind { kSpeech, kMute, kHold, kConfine, kHangUp, kTransfer, kJoin, kFault, kClearFaults };
  Duration at{};
  Kind kind = Kind::kSpeech;
  std::string leg;             // every kind but kJoin
  std::string conversation;    // kJoin
  core::SpeechScript speech;   // kSpeech
  bool value = true;           // kMute, kHold, kConfine
  core::LegSpec join;          // kJoin
  std::string as;              // kTransfer, kJoin: a name for the new participant
  nlohmann::json fault;        // kFault: an episode, its from/until counted from `at`
  std::string pointer;         // where in the file, for messages
};

// One raw request of a scripted client (e.g. the seed's naive PATCH), sent at `at`.
struct ScriptStep {
  Duration at{};
  std::string method;
  std::string path;  // "{leg:NAME}" is replaced by a named participant's id
  std::optional<nlohmann::json> body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<int> expect_status;
  std::string pointer;
};

struct ScriptClient {
  std::string client_id = "demo-client";
  std::string client_secret = "demo-secret";
  std::vector<ScriptStep> steps;
};

// The bundled reaper and its settings (the reaper CLI's flags).
struct ReaperSettings {
  std::string client_id = "demo-client";
  std::string client_secret = "demo-secret";
  std::string activity = "sim";   // sim | signals | notifications | audiohook
  client::ReaperOptions options;  // checked by client::ValidateReaperOptions, as the CLI does
  // The reaper's clock minus the simulator's ("reaper.clockSkew": "1h" ahead, "-1h" behind): a
  // reaper on a machine whose clock is off, which reads the server's times through the Date
  // of its answers. At most a year either way.
  Duration clock_skew = Duration::zero();
};

// A client under test that is a program of its own, in any language: run as a child process
// against the simulator on a scaled real clock, its own clock kept in step by libfaketime, and
// judged from the simulator's journal by its OAuth client.
struct ExternalClient {
  // argv; argv[0] is looked up on PATH. `gcsim run --client-cmd CMD` gives CMD's words.
  std::vector<std::string> command;
  // Added to the runner's environment, after the connection variables (so they can be changed).
  std::vector<std::pair<std::string, std::string>> env;
  // How many times as fast as real time the run goes (simulator and client alike).
  double time_scale = 60;
  // The OAuth client it gets (GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET) and is judged as.
  std::string client_id = "demo-client";
  std::string client_secret = "demo-secret";
  // Where it runs: a scenario file's command in the file's folder, so that its relative paths
  // are the file's; empty: the runner's own working directory (--client-cmd).
  std::string working_dir;
  // Its clock minus the simulator's, in whole seconds (libfaketime starts it there): "clockSkew"
  // of "client", or the reaper's when --client-cmd runs a program in its place.
  Duration clock_skew = Duration::zero();
};

// The harness's own check, in every scenario: no drop request, first or retry, by any client,
// reaches a leg heard within the idle timeout.
struct SafetySettings {
  // A leg heard less than this long before a drop reached it was dropped early. Default: the
  // reaper's idleTimeout, else 10m.
  Duration idle_timeout = std::chrono::minutes(10);
  // false: early drops are still counted (earlyDrops) but do not fail the scenario by
  // themselves; for a scenario that demonstrates an unsafe client.
  bool enforce = true;
};

// One thing that must hold. `at` empty: checked when the run ends.
struct Expectation {
  enum class Kind {
    kLegDisconnectedBetween,  // leg disconnected, its endTime within [from, to]
    kLegNeverDropped,         // no client drop ever reached the leg
    kLegReportedStuck,        // the bundled reaper reported the leg stuck
    kLegState,                // leg state at `at`
    kLegMedia,                // "flowing" or "stopped" at `at`
    kLegWrapupCode,           // the leg's wrap-up code at `at` ("": none recorded)
    kConversationEnded,       // ended (or not) at `at`
    kQueueObservation,        // oInteracting / oWaiting of a queue at `at`
    kUserRoutingStatus,       // a user's routing status at `at`
    kMetric,                  // a run figure within bounds (see RunMetrics)
    kScriptStatus,            // a script step answered `status`
  };
  Kind kind = Kind::kMetric;
  std::optional<Duration> at;
  std::string leg;
  std::string conversation;
  std::string queue;
  std::string user;
  std::string name;  // kQueueObservation: the metric; kMetric: the figure
  Duration from{}, to{};
  std::string value;  // kLegState: a state; kLegMedia: flowing|stopped; kLegWrapupCode: a code;
                      // kUserRoutingStatus: a status
  bool ended = true;
  std::optional<double> equals, at_most, at_least;
  size_t script_step = 0;
  int status = 0;
  std::string pointer;
  std::string Describe() const;
};

struct Scenario {
  std::string path;
  std::string name;
  std::string description;
  std::optional<uint64_t> seed;  // overrides the run's seed
  core::WorldSpec world;
  std::vector<TimelineEvent> timeline;
  // Fault episodes in force from the start (POST /sim/v1/faults bodies; `from` and `until`
  // count from the start), checked when the file is read.
  std::vector<nlohmann::json> faults;
  std::optional<ReaperSettings> reaper;
  std::optional<ScriptClient> script;
  std::optional<ExternalClient> client;  // never together with `reaper`
  SafetySettings safety;
  Duration run_for{};
  std::vector<Expectation> expectations;
  // The scenario shows a client that fails: it passes when an expectation fails (reported as
  // XFAIL with every failure), and fails when all of them hold. Not applied when
  // `gcsim run --client-cmd` replaces its client.
  bool expect_failure = false;
};

// A script path with each "{leg:NAME}" replaced by resolve(NAME); an error for a "{leg:"
// without its "}". The one reading of the placeholder, for the loader's check and the runner.
Result<std::string> ExpandLegNames(const std::string& path,
                                   const std::function<std::string(const std::string&)>& resolve);

// Errors read "PATH: /timeline/2/at: bad duration ..." (or line and column for bad JSON).
Result<Scenario> LoadScenarioFile(const std::string& path);
Result<Scenario> ParseScenario(const nlohmann::json& json, const std::string& path);

// Scenario files under each of `paths` (files as given, folders searched for *.json, sorted).
Result<std::vector<std::string>> FindScenarioFiles(const std::vector<std::string>& paths);

}  // namespace gcsim::harness
