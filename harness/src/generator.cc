#include "gcsim/harness/generator.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "gcsim/common/routes.h"
#include "gcsim/harness/scenario.h"

namespace gcsim::harness {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Draws from the seed with plain modulo arithmetic, not std:: distributions (whose results
// differ between standard libraries): the same seed gives the same file everywhere.
class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}
  uint64_t Below(uint64_t n) { return rng_() % n; }
  bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  template <typename T>
  const T& Pick(const std::vector<T>& items) { return items[Below(items.size())]; }
  Duration Between(Duration from, Duration to) {
    return from + milliseconds(Below(static_cast<uint64_t>((to - from).count()) + 1));
  }
  std::string Uuid() {
    char text[37];
    std::snprintf(text, sizeof text, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
                  static_cast<unsigned long long>(Below(1ull << 32)),
                  static_cast<unsigned long long>(Below(1 << 16)),
                  static_cast<unsigned long long>(Below(1 << 12)),
                  static_cast<unsigned long long>(Below(1 << 12)),
                  static_cast<unsigned long long>(Below(1ull << 48)));
    return text;
  }

 private:
  std::mt19937_64 rng_;
};

std::string Text(Duration d) { return FormatDuration(std::max(d, Duration::zero())); }

// How a leg talks: mostly silent or bursty, sometimes right around the moments that matter.
// `poll`: how often the reaper ticks.
json Speech(Draw& draw, Duration idle_timeout, Duration poll) {
  switch (draw.Below(5)) {
    case 0:
    case 1: return "never";
    case 2: return "always";
    case 3: {
      const Duration every = draw.Between(seconds(30), idle_timeout + minutes(1));
      return {{"every", Text(every)}, {"for", Text(draw.Between(seconds(1), seconds(20)))},
              {"offset", Text(draw.Between(Duration::zero(), every))}};
    }
    default: {
      json intervals = json::array();
      Duration at = Duration::zero();
      for (uint64_t i = 0, n = 1 + draw.Below(3); i < n; ++i) {
        at += draw.Between(seconds(1), idle_timeout + seconds(30));
        // Some begin a moment after a tick, while the reaper's answers may be on their way.
        if (draw.Chance(15))
          at = (at / poll + 1) * poll + draw.Between(Duration::zero(), seconds(1));
        Duration until = at + draw.Between(milliseconds(200), seconds(10));
        // Some end a moment after a tick of the reaper, so that the tick a timeout later comes
        // just short of it: where a reaper whose clock is off by under a second would tip.
        if (draw.Chance(30))
          until = (until / poll + 1) * poll + draw.Between(Duration::zero(), seconds(1));
        intervals.push_back({Text(at), Text(until)});
        at = until;
      }
      return {{"intervals", intervals}};
    }
  }
}

// "t3": the name a transfer or join event gives. Appended: g++ 12 flags "t" + ... with a false
// -Wrestrict in Release.
std::string NameFor(char kind, int number) {
  std::string name(1, kind);
  name += std::to_string(number);
  return name;
}

}  // namespace

json GenerateScenario(uint64_t seed) {
  Draw draw(seed);
  const Duration idle_timeout = draw.Pick<Duration>({minutes(10), minutes(3), minutes(1)});
  const Duration poll = draw.Pick<Duration>({seconds(15), seconds(5), seconds(30), minutes(1)});
  const Duration verify = draw.Pick<Duration>({seconds(30), seconds(10)});
  const Duration latency = draw.Pick<Duration>(
      {Duration::zero(), milliseconds(250), seconds(5), verify - seconds(1), verify + seconds(1), minutes(2)});
  const int rate_limit = draw.Pick<int>({0, 300, 30, 6, 2});
  const std::string token_lifetime = draw.Pick<std::string>({"24h", "5m", "90s"});
  const std::string queue = draw.Uuid();

  json reaper = {{"idleTimeout", Text(idle_timeout)},
                 {"pollInterval", Text(poll)},
                 {"verifyTimeout", Text(verify)},
                 {"maxAttempts", 1 + static_cast<int>(draw.Below(3))},
                 {"activity", draw.Pick<std::string>(
                                  {"sim", "sim", "sim", "signals", "audiohook", "notifications"})},
                 {"concurrency", draw.Pick<int>({1, 1, 4})}};
  // A reaper on a machine whose clock is off, in half: under a second (less than a Date
  // tells at once; see ServerTime), seconds, or an hour, either way.
  const std::string skew =
      draw.Pick<std::string>({"", "", "", "", "", "", "1h", "-1h", "5s", "-3s", "700ms", "-400ms"});
  if (!skew.empty()) reaper["clockSkew"] = skew;
  json world = {{"disconnectLatency", Text(latency)},
                {"rateLimit", rate_limit},
                {"queues", {{{"id", queue}, {"name", "Generated"}}}},
                {"oauthClients", {{{"clientId", "demo-client"}, {"clientSecret", "demo-secret"},
                                   {"tokenLifetime", token_lifetime}}}},
                {"conversations", json::array()}};

  // The world's legs, by id, and the conversations they are on.
  std::vector<std::string> legs, conversations;
  const std::vector<std::string> kPurposes = {"customer", "agent", "user", "external", "acd"};
  for (uint64_t b = 0, bridges = 1 + draw.Below(3); b < bridges; ++b) {
    json participants = json::array();
    for (uint64_t l = 0, n = 3 + draw.Below(3); l < n; ++l) {
      const std::string id = draw.Uuid();
      json leg = {{"id", id},
                  {"purpose", draw.Pick(kPurposes)},
                  {"speech", Speech(draw, idle_timeout, poll)}};
      if (leg["purpose"] == "agent") leg["queueId"] = queue;
      if (draw.Chance(15)) leg[draw.Chance(50) ? "muted" : "held"] = true;
      participants.push_back(std::move(leg));
      legs.push_back(id);
    }
    conversations.push_back(draw.Uuid());
    world["conversations"].push_back({{"id", conversations.back()}, {"participants", participants}});
  }

  // Events cluster around multiples of the idle timeout, where a reaper's read and its PATCH
  // race the world; a few land anywhere.
  json timeline = json::array();
  Duration last = Duration::zero();
  int names = 0;
  for (uint64_t e = 0, events = draw.Below(9); e < events; ++e) {
    const Duration around = idle_timeout * static_cast<int>(1 + draw.Below(2));
    Duration at = draw.Chance(70) ? around + draw.Between(-seconds(20), seconds(20)) +
                                        poll * static_cast<int>(draw.Below(2))
                                  : draw.Between(Duration::zero(), 2 * idle_timeout);
    // Some come a moment after a tick, while the reaper's answers may be on their way.
    if (draw.Chance(30)) at = (at / poll) * poll + draw.Between(Duration::zero(), seconds(1));
    last = std::max(last, at);
    json event = {{"at", Text(at)}, {"leg", draw.Pick(legs)}};
    switch (draw.Below(8)) {
      case 0:
        event["speech"] = Speech(draw, idle_timeout, poll);
        break;
      case 1: event["speech"] = draw.Chance(50) ? "always" : "never"; break;
      case 2: event["mute"] = draw.Chance(50); break;
      case 3: event["hold"] = draw.Chance(50); break;
      case 4: event["hangUp"] = true; break;
      case 5: event["transfer"] = true; event["as"] = NameFor('t', ++names); break;
      case 6: {
        event.erase("leg");
        event["conversation"] = draw.Pick(conversations);
        // An agent's leg joins on the queue: the call comes onto the queue mid-run, so that a
        // reaper that follows the queue's events subscribes to it late.
        json leg = {{"purpose", draw.Pick<std::string>({"customer", "external", "agent"})},
                    {"speech", Speech(draw, idle_timeout, poll)}};
        if (leg["purpose"] == "agent") leg["queueId"] = queue;
        event["join"] = std::move(leg);
        event["as"] = NameFor('j', ++names);
        break;
      }
      default: event["mute"] = true; break;
    }
    timeline.push_back(std::move(event));
  }
  // Names given by "as" can be the target of later events; the loader checks the order.
  std::sort(timeline.begin(), timeline.end(), [](const json& a, const json& b) {
    return *ParseDuration(a["at"].get<std::string>()) < *ParseDuration(b["at"].get<std::string>());
  });
  std::vector<std::string> named;
  for (json& event : timeline) {
    if (event.contains("leg") && !named.empty() && draw.Chance(30)) event["leg"] = draw.Pick(named);
    if (event.contains("as")) named.push_back(event["as"]);
  }

  json scenario = {{"name", "generated-" + std::to_string(seed)},
                   {"description", "a seeded random scenario of the invariant check"},
                   {"seed", seed % 100'000'000},  // the most a scenario file takes
                   {"world", world},
                   {"timeline", timeline},
                   {"reaper", reaper}};
  // Sometimes another script on the reaper's own OAuth client spends the budget for a while,
  // so the reaper's reads and drops meet 429s right when legs go idle.
  if (rate_limit > 0 && draw.Chance(35)) {
    json requests = json::array();
    const Duration from = idle_timeout + draw.Between(-seconds(30), seconds(30));
    for (int i = 0, n = std::min(rate_limit + 2, 40); i < n; ++i) {
      requests.push_back({{"at", Text(from + milliseconds(10 * i))}, {"method", "GET"},
                          {"path", routes::FillPath(routes::kCall, {draw.Pick(conversations)})}});
    }
    last = std::max(last, from);
    scenario["script"] = {{"requests", requests}};
  }
  // Sometimes every answer comes late for a while around the timeout, so that a leg is heard
  // between a read and the drop it leads to.
  if (draw.Chance(30)) {
    const Duration from = idle_timeout - draw.Between(Duration::zero(), seconds(30));
    const Duration delay =
        draw.Pick<Duration>({milliseconds(200), milliseconds(400), milliseconds(900), seconds(2)});
    scenario["faults"].push_back({{"kind", "latency"},
                                  {"delay", Text(delay)},
                                  {"from", Text(from)},
                                  {"until", Text(from + minutes(2))}});
  }
  // Sometimes, for two minutes, a fifth of the requests fail: a retry lands a moment later, at
  // a fraction of a second, and an answer whose fate the reaper cannot know is lost.
  if (draw.Chance(30)) {
    const Duration from = draw.Between(Duration::zero(), 2 * idle_timeout);
    json episode = {{"kind", draw.Pick<std::string>({"status", "reset"})},
                    {"probability", 0.2},
                    {"from", Text(from)},
                    {"until", Text(from + minutes(2))}};
    if (episode["kind"] == "status") episode["status"] = 503;
    scenario["faults"].push_back(std::move(episode));
  }
  // Long enough after the last event for every idle leg to be dropped or reported.
  scenario["runFor"] = Text(last + idle_timeout + poll + latency + verify + minutes(5));
  // The notifications source learns of a call only from an event on its queue's topic, as
  // against a real org: a call with no leg of the queue, or no change once the watch began,
  // stays unseen. For it, safety and determinism only.
  scenario["expect"] = json::array();
  if (reaper["activity"] != "notifications") {
    scenario["expect"].push_back({{"metric", "idleLegsUnhandled"}, {"equals", 0}});
  }
  return scenario;
}

InvariantCheck CheckInvariants(uint64_t seed) {
  InvariantCheck check{.seed = seed, .scenario = GenerateScenario(seed)};
  for (const json& conversation : check.scenario["world"]["conversations"]) {
    check.legs += conversation["participants"].size();
  }
  auto scenario = ParseScenario(check.scenario, "generated-" + std::to_string(seed) + ".json");
  if (!scenario.ok()) {
    check.violations.push_back("the generator wrote a file the loader refuses: " +
                               scenario.status().message());
    return check;
  }
  check.result = RunScenario(*scenario, {.keep_journal = true});
  if (!check.result.error.empty()) check.violations.push_back("error: " + check.result.error);
  for (const Failure& failure : check.result.failures) {
    check.violations.push_back(failure.pointer + ": expected " + failure.expectation + "; got " +
                               failure.actual);
  }
  const ScenarioResult again = RunScenario(*scenario, {.keep_journal = true});
  const auto& first = check.result.journal;
  const auto& second = again.journal;
  for (size_t i = 0; i < std::max(first.size(), second.size()); ++i) {
    const json a = i < first.size() ? core::ToJson(first[i]) : json();
    const json b = i < second.size() ? core::ToJson(second[i]) : json();
    if (a != b) {
      check.violations.push_back("determinism: journal entry " + std::to_string(i + 1) +
                                 " differs between two runs: " + a.dump() + " vs " + b.dump());
      break;
    }
  }
  return check;
}

}  // namespace gcsim::harness
