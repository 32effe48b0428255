// A load scenario end to end, and the figures the harness does not report itself, read from the
// run's journal:
//   bench_scenarios --scenario FILE [--mode harness|direct] [--smoke]
// harness: harness::RunScenario, as `gcsim run` does (simulator, HTTP over loopback, the bundled
//          reaper, one ManualClock), with the journal kept.
// direct:  the baseline: the same world and clock schedule with an ideal reaper that calls the
//          core directly (SilentLegs, then UpdateParticipant on each idle leg every poll
//          interval): what the simulator itself costs, with no HTTP, client or verification.
// Prints one line "SCENARIO_JSON {...}". --smoke shrinks every generated world to 40 bridges and
// fails only if the run errs, drops a leg early or leaves one idle.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench_util.h"
#include "gcsim/common/clock.h"
#include "gcsim/core/simulator.h"
#include "gcsim/harness/report.h"
#include "gcsim/harness/runner.h"
#include "gcsim/harness/scenario.h"

namespace gcsim::bench {
namespace {

using nlohmann::json;

constexpr Duration kRateWindow = std::chrono::minutes(1);

// Every run starts where a default ManualClock does, as the harness's own clock.
const TimePoint kStart = ManualClockOptions{}.start;

double Ms(Duration d) { return static_cast<double>(d.count()); }

// The q-quantile (nearest rank) of sorted values; 0 when there are none.
double Quantile(const std::vector<Duration>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return Ms(sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1]);
}

json LatenessJson(std::vector<Duration> lateness) {
  std::sort(lateness.begin(), lateness.end());
  return {{"count", lateness.size()},
          {"p50_ms", Quantile(lateness, 0.50)},
          {"p99_ms", Quantile(lateness, 0.99)},
          {"max_ms", lateness.empty() ? 0 : Ms(lateness.back())},
          {"early", std::count_if(lateness.begin(), lateness.end(),
                                  [](Duration d) { return d < Duration::zero(); })}};
}

bool IsParticipantPatch(const core::JournalEntry& e) {
  return e.kind == "request" && e.method == "PATCH" && !e.participant_id.empty() &&
         e.path.rfind("/api/v2/conversations/", 0) == 0;
}

// Requests charged to a client's budget: the Genesys API, not /oauth or /sim/v1.
bool IsCharged(const core::JournalEntry& e) {
  return e.kind == "request" && !e.client_id.empty() && e.path.rfind("/api/v2/", 0) == 0;
}

// What the journal says about the reaper's drops. Lateness of a leg: its first accepted drop
// (the PATCH's time) minus the moment it became idle. In the bundled load scenarios the only
// legs that ever go idle are those that never talk, silent since the start, so they became
// idle at start + idleTimeout; `harness_p50`/`harness_max` cross-check this against the
// harness's own figures, which use each leg's silentSince.
json JournalFigures(const harness::Scenario& scenario, const harness::ScenarioResult& result) {
  const auto& journal = result.journal;
  const Duration timeout = scenario.reaper->options.idle_timeout;
  const TimePoint idle_at = kStart + timeout;
  std::map<std::string, TimePoint> first_drop;         // participant -> PATCH time
  uint64_t last_patch_sequence = 0;                    // the last first drop, in journal order
  std::map<std::string, std::string> conversation_of;  // participant -> conversation
  std::vector<TimePoint> too_many;
  uint64_t charged = 0;
  for (const core::JournalEntry& e : journal) {
    if (IsCharged(e)) ++charged;
    if (e.kind == "request" && e.status == 429) too_many.push_back(e.at);
    if (IsParticipantPatch(e) && (e.status == 202 || e.status == 204) &&
        !first_drop.count(e.participant_id)) {
      first_drop[e.participant_id] = e.at;
      last_patch_sequence = e.sequence;
      conversation_of[e.participant_id] = e.conversation_id;
    }
  }
  std::vector<Duration> lateness;
  TimePoint last_patch{}, last_landing{};
  std::set<std::string> conversations;
  for (const auto& [participant, at] : first_drop) {
    lateness.push_back(at - idle_at);
    last_patch = std::max(last_patch, at);
    conversations.insert(conversation_of[participant]);
  }
  for (const core::JournalEntry& e : journal) {
    if (e.kind == "effect" && first_drop.count(e.participant_id)) {
      last_landing = std::max(last_landing, e.at);
    }
  }
  // Where the charged requests went, and how many of them came before the last drop.
  json charged_by_method = json::object();
  uint64_t charged_by_last_patch = 0;
  for (const core::JournalEntry& e : journal) {
    if (!IsCharged(e)) continue;
    charged_by_method[e.method] = charged_by_method.value(e.method, 0) + 1;
    if (e.sequence <= last_patch_sequence) ++charged_by_last_patch;
  }
  // The most 429s inside any one budget window (a sliding minute).
  size_t worst = 0;
  for (size_t i = 0, j = 0; j < too_many.size(); ++j) {
    while (too_many[j] - too_many[i] >= kRateWindow) ++i;
    worst = std::max(worst, j - i + 1);
  }
  // The fewest budget-charged requests the reaper's protocol allows: one GET per conversation
  // to confirm its legs are live, one PATCH per leg.
  const uint64_t needed = conversations.size() + first_drop.size();
  json out = {{"journal_entries", journal.size()},
              {"journal_complete", !journal.empty() && journal.front().sequence == 1},
              {"drops", first_drop.size()},
              {"conversations_with_drops", conversations.size()},
              {"charged_requests", charged},
              {"charged_by_method", charged_by_method},
              {"charged_by_last_patch", charged_by_last_patch},
              {"requests_needed", needed},
              {"lateness", LatenessJson(std::move(lateness))},
              {"too_many_requests", too_many.size()},
              {"max_429_per_window", worst}};
  const int budget = scenario.world.rate_limit;
  if (budget > 0 && !first_drop.empty()) {
    // Drain: from the moment the legs became idle to the last drop landing.
    const Duration latency = scenario.world.disconnect_latency;
    const double fluid_floor = Ms(kRateWindow) * static_cast<double>(needed) / budget + Ms(latency);
    const int64_t windows = (static_cast<int64_t>(needed) + budget - 1) / budget;
    const double window_floor = Ms(kRateWindow) * static_cast<double>(windows - 1) + Ms(latency);
    out["drain"] = {{"idle_at_ms", Ms(idle_at - kStart)},
                    {"last_patch_ms", Ms(last_patch - kStart)},
                    {"last_landing_ms", Ms(last_landing - kStart)},
                    {"drain_ms", Ms(last_landing - idle_at)},
                    {"budget_per_minute", budget},
                    {"fluid_floor_ms", fluid_floor},
                    {"window_floor_ms", window_floor}};
  }
  return out;
}

json RunHarness(const harness::Scenario& scenario) {
  const harness::ScenarioResult result = harness::RunScenario(scenario, {.keep_journal = true});
  std::vector<std::string> failures;
  for (const harness::Failure& f : result.failures)
    failures.push_back(f.expectation + ": " + f.actual);
  json out = {{"mode", "harness"},
              {"name", result.name},
              {"passed", result.passed},
              {"error", result.error},
              {"failures", failures},
              {"wall_ms", Ms(result.wall)},
              {"simulated_ms", Ms(result.simulated)},
              {"metrics", harness::MetricsJson(result.metrics)}};
  if (scenario.reaper) out["journal"] = JournalFigures(scenario, result);
  return out;
}

// The ideal reaper on the core: no HTTP, no confirmation GET, no verification.
json RunDirect(const harness::Scenario& scenario) {
  RealClock wall;
  const TimePoint wall_start = wall.Now();
  ManualClock clock;
  auto sim =
      core::Simulator::Create({.clock = &clock, .seed = scenario.seed.value_or(1)}, scenario.world);
  if (!sim.ok()) return {{"mode", "direct"}, {"error", sim.status().message()}};
  const client::ReaperOptions& r = scenario.reaper->options;
  const auto allowed = [&r](core::Purpose purpose) {
    return std::find(r.purposes.begin(), r.purposes.end(), core::ToString(purpose)) !=
           r.purposes.end();
  };
  const core::MediaParticipantRequest drop{.state = std::string("disconnected")};
  const core::Caller caller{.client_id = scenario.reaper->client_id};
  const TimePoint t0 = clock.Now(), end = t0 + scenario.run_for;
  std::vector<Duration> lateness;
  uint64_t calls = 0;
  for (TimePoint tick = t0; tick < end; tick += r.poll_interval) {
    clock.AdvanceTo(tick);
    ++calls;
    const auto idle = (*sim)->SilentLegs(r.idle_timeout);
    for (const core::SilentLeg& leg : *idle) {
      if (!allowed(leg.purpose) || leg.state != core::LegState::kConnected) continue;
      ++calls;
      const core::UpdateOutcome out = (*sim)->UpdateParticipant(
          leg.conversation_id, leg.participant_id, drop, caller, core::ParticipantRoute::kGeneric);
      if (out.status.ok()) lateness.push_back(tick - (leg.media.silent_since + r.idle_timeout));
    }
  }
  clock.AdvanceTo(end);
  uint64_t idle_left = 0;
  const auto missed = (*sim)->SilentLegs(r.idle_timeout + r.poll_interval);
  for (const core::SilentLeg& leg : *missed) {
    if (allowed(leg.purpose)) ++idle_left;
  }
  const uint64_t drops = lateness.size();
  return {{"mode", "direct"},
          {"name", scenario.name},
          {"error", ""},
          {"wall_ms", Ms(wall.Now() - wall_start)},
          {"simulated_ms", Ms(end - t0)},
          {"drops", drops},
          {"core_calls", calls},
          {"idleLegsLeft", idle_left},
          {"lateness", LatenessJson(std::move(lateness))}};
}

int Main(int argc, char** argv) {
  std::string path, mode = "harness";
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--scenario" && i + 1 < argc)
      path = argv[++i];
    else if (arg == "--mode" && i + 1 < argc)
      mode = argv[++i];
    else if (arg == "--smoke")
      smoke = true;
    else
      path.clear(), i = argc;
  }
  if (path.empty() || (mode != "harness" && mode != "direct")) {
    std::cerr << "usage: bench_scenarios --scenario FILE [--mode harness|direct] [--smoke]\n";
    return 2;
  }
  auto scenario = harness::LoadScenarioFile(path);
  if (!scenario.ok()) {
    std::cerr << scenario.status().message() << "\n";
    return 1;
  }
  if (!scenario->reaper) {
    std::cerr << path << ": a load scenario needs the bundled reaper\n";
    return 1;
  }
  if (smoke) {
    for (core::GeneratedBridges& gen : scenario->world.generated)
      gen.bridges = std::min(gen.bridges, 40);
  }
  const int64_t rss_before = CurrentRssBytes();
  json out = mode == "harness" ? RunHarness(*scenario) : RunDirect(*scenario);
  out["scenario"] = path;
  out["rss_before_bytes"] = rss_before;
  out["peak_rss_bytes"] = PeakRssBytes();
  std::cout << "SCENARIO_JSON " << out.dump() << std::endl;
  if (!out["error"].get<std::string>().empty()) return 1;
  if (smoke) {
    const bool early =
        mode == "harness" ? out["metrics"]["earlyDrops"] != 0 : out["lateness"]["early"] != 0;
    const bool left =
        mode == "harness" ? out["metrics"]["idleLegsLeft"] != 0 : out["idleLegsLeft"] != 0;
    if (early || left) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace gcsim::bench

int main(int argc, char** argv) { return gcsim::bench::Main(argc, argv); }
