#include "gcsim/harness/scenario.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "gcsim/common/clock.h"
#include "gcsim/common/strings.h"
#include "gcsim/common/time.h"
#include "gcsim/core/faults.h"
#include "gcsim/core/json_reader.h"
#include "gcsim/harness/runner.h"

namespace gcsim::harness {
namespace {

using core::ObjectReader;
using nlohmann::json;

Status ReadEvent(const json& value, const std::string& where, TimelineEvent& event) {
  ObjectReader in(value, where);
  event.pointer = where;
  in.DurationField("at", event.at, true);
  int actions = 0;
  const auto action = [&](const char* key, TimelineEvent::Kind kind) {
    const json* v = in.Get(key);
    if (v == nullptr) return v;
    ++actions;
    event.kind = kind;
    return v;
  };
  if (action("speech", TimelineEvent::Kind::kSpeech)) in.Speech("speech", event.speech);
  for (const auto& [key, kind] : {std::pair{"mute", TimelineEvent::Kind::kMute},
                                  std::pair{"hold", TimelineEvent::Kind::kHold},
                                  std::pair{"confine", TimelineEvent::Kind::kConfine}}) {
    if (action(key, kind)) in.Bool(key, event.value);
  }
  for (const auto& [key, kind] : {std::pair{"hangUp", TimelineEvent::Kind::kHangUp},
                                  std::pair{"transfer", TimelineEvent::Kind::kTransfer}}) {
    if (const json* v = action(key, kind); v != nullptr && *v != true) {
      in.Fail(in.At(key), "expected true");
    }
  }
  if (const json* join = action("join", TimelineEvent::Kind::kJoin)) {
    auto leg = core::ParseLeg(*join, in.At("join"));
    if (!leg.ok()) return leg.status();
    event.join = std::move(leg).value();
  }
  if (const json* fault = action("fault", TimelineEvent::Kind::kFault)) {
    auto parsed = core::ParseFault(*fault, TimePoint{}, in.At("fault"));
    if (!parsed.ok()) return parsed.status();
    event.fault = *fault;
  }
  if (const json* clear = action("clearFaults", TimelineEvent::Kind::kClearFaults);
      clear != nullptr && *clear != true) {
    in.Fail(in.At("clearFaults"), "expected true");
  }
  if (event.kind == TimelineEvent::Kind::kJoin) {
    in.Id("conversation", event.conversation, true);
  } else if (event.kind != TimelineEvent::Kind::kFault && event.kind != TimelineEvent::Kind::kClearFaults) {
    in.String("leg", event.leg, true);
  }
  in.String("as", event.as);
  if (in.ok() && actions != 1) {
    in.Fail(where, "an event does exactly one of speech, mute, hold, confine, hangUp, transfer, "
                   "join, fault, clearFaults");
  }
  return in.Finish();
}

Status ReadStep(const json& value, const std::string& where, ScriptStep& step) {
  ObjectReader in(value, where);
  step.pointer = where;
  in.DurationField("at", step.at, true);
  in.String("method", step.method, true);
  in.String("path", step.path, true);
  if (in.ok() && step.path.rfind('/', 0) != 0) in.Fail(in.At("path"), "must start with /");
  static const char* const kMethods[] = {"GET", "POST", "PATCH", "PUT", "DELETE"};
  if (in.ok() && std::find(std::begin(kMethods), std::end(kMethods), step.method) == std::end(kMethods)) {
    in.Fail(in.At("method"), "expected GET, POST, PATCH, PUT or DELETE");
  }
  if (const json* body = in.Get("body")) step.body = *body;
  if (const json* headers = in.Get("headers")) {
    if (!headers->is_object()) {
      in.Fail(in.At("headers"), "expected an object of header names to strings");
    } else {
      for (const auto& [name, v] : headers->items()) {
        if (!v.is_string()) in.Fail(in.At("headers") + "/" + name, "expected a string");
        else step.headers.emplace_back(name, v.get<std::string>());
      }
    }
  }
  int status = 0;
  in.Int("expectStatus", status, 100);
  if (status) step.expect_status = status;
  return in.Finish();
}

// "clockSkew": a client's clock minus the simulator's, "-" before it when behind.
void ReadClockSkew(ObjectReader& in, Duration& out) {
  const json* skew = in.Get("clockSkew");
  if (skew == nullptr) return;
  const std::string text = skew->is_string() ? skew->get<std::string>() : "";
  const bool behind = !text.empty() && text[0] == '-';
  const Result<Duration> amount = ParseDuration(std::string_view(text).substr(behind ? 1 : 0));
  if (!amount.ok() || *amount > std::chrono::days(365)) {
    in.Fail(in.At("clockSkew"),
            "expected a duration of at most a year, \"-\" before it when the client's clock is "
            "behind: \"1h\", \"-90s\"");
    return;
  }
  out = behind ? -*amount : *amount;
}

Status ReadReaper(const json& value, const std::string& where, ReaperSettings& reaper) {
  ObjectReader in(value, where);
  client::ReaperOptions& options = reaper.options;
  in.String("clientId", reaper.client_id);
  in.String("clientSecret", reaper.client_secret);
  in.DurationField("idleTimeout", options.idle_timeout);
  in.DurationField("pollInterval", options.poll_interval);
  in.DurationField("verifyTimeout", options.verify_timeout);
  in.Int("maxAttempts", options.max_attempts, 1);
  in.Int("concurrency", options.concurrency, 1);
  in.String("activity", reaper.activity);
  ReadClockSkew(in, reaper.clock_skew);
  if (in.ok() && reaper.activity != "sim" && reaper.activity != "signals" &&
      reaper.activity != "notifications" && reaper.activity != "audiohook") {
    in.Fail(in.At("activity"),
            "expected \"sim\", \"signals\", \"notifications\" or \"audiohook\"");
  }
  if (in.Get("purposes")) options.purposes.clear();
  in.Array("purposes", [&](const json& item, const std::string& at) {
    if (!item.is_string() || !core::ParsePurpose(item.get<std::string>())) {
      return InvalidArgumentError(at + ": expected one of agent, user, customer, external, acd, ivr");
    }
    options.purposes.push_back(item.get<std::string>());
    return Status::Ok();
  });
  in.Bool("dryRun", options.dry_run);
  if (in.ok()) {
    if (Status valid = client::ValidateReaperOptions(options); !valid.ok()) {
      in.Fail(in.At(valid.reason()), valid.message());
    }
  }
  return in.Finish();
}

Status ReadClient(const json& value, const std::string& where, ExternalClient& client) {
  ObjectReader in(value, where);
  const json* command = in.Get("command", true);
  if (command != nullptr) {
    if (!command->is_array() || command->empty()) {
      in.Fail(in.At("command"), "expected a non-empty array of strings: the program and its arguments");
    } else {
      for (size_t i = 0; i < command->size() && in.ok(); ++i) {
        const json& arg = (*command)[i];
        if (!arg.is_string()) in.Fail(in.At("command") + "/" + std::to_string(i), "expected a string");
        else client.command.push_back(arg.get<std::string>());
      }
      if (in.ok() && client.command[0].empty()) in.Fail(in.At("command") + "/0", "the program is empty");
    }
  }
  ReadClockSkew(in, client.clock_skew);
  if (in.ok() && client.clock_skew % std::chrono::seconds(1) != Duration::zero()) {
    in.Fail(in.At("clockSkew"), "a program's clock is set in whole seconds");
  }
  if (const json* env = in.Get("env")) {
    if (!env->is_object()) {
      in.Fail(in.At("env"), "expected an object of variable names to strings");
    } else {
      for (const auto& [name, v] : env->items()) {
        if (name.empty() || name.find('=') != std::string::npos) {
          in.Fail(in.At("env") + "/" + name, "not a variable name");
        } else if (!v.is_string()) {
          in.Fail(in.At("env") + "/" + name, "expected a string");
        } else {
          client.env.emplace_back(name, v.get<std::string>());
        }
      }
    }
  }
  if (const json* scale = in.Get("timeScale")) {
    if (!scale->is_number() || scale->get<double>() < kMinTimeScale ||
        scale->get<double>() > kMaxTimeScale) {
      in.Fail(in.At("timeScale"), "expected a number from " + nlohmann::json(kMinTimeScale).dump() +
                                      " to " + nlohmann::json(kMaxTimeScale).dump());
    } else {
      client.time_scale = scale->get<double>();
    }
  }
  in.String("clientId", client.client_id);
  in.String("clientSecret", client.client_secret);
  return in.Finish();
}

Status ReadSafety(const json& value, const std::string& where, SafetySettings& safety,
                  bool& timeout_given) {
  ObjectReader in(value, where);
  in.DurationField("idleTimeout", safety.idle_timeout);
  timeout_given = in.Get("idleTimeout") != nullptr;
  if (in.ok() && timeout_given && safety.idle_timeout <= Duration::zero()) {
    in.Fail(in.At("idleTimeout"), "must be more than 0s");
  }
  in.Bool("enforce", safety.enforce);
  return in.Finish();
}

void ReadBounds(ObjectReader& in, Expectation& e) {
  for (auto [key, slot] : {std::pair{"equals", &e.equals}, std::pair{"atMost", &e.at_most},
                           std::pair{"atLeast", &e.at_least}}) {
    if (const json* v = in.Get(key)) {
      if (v->is_number()) *slot = v->get<double>();
      else in.Fail(in.At(key), "expected a number");
    }
  }
  if (in.ok() && !e.equals && !e.at_most && !e.at_least) {
    in.Fail(in.At("metric"), "give equals, atMost or atLeast");
  }
}

Status ReadExpectation(const json& value, const std::string& where, Expectation& e) {
  ObjectReader in(value, where);
  e.pointer = where;
  Duration at{};
  in.DurationField("at", at);
  if (in.Get("at")) e.at = at;
  in.String("leg", e.leg);
  in.Id("conversation", e.conversation);
  in.Id("queue", e.queue);
  in.Id("user", e.user);
  if (!in.ok()) return in.status();
  if (const json* window = in.Get("disconnectedBetween")) {
    e.kind = Expectation::Kind::kLegDisconnectedBetween;
    if (!window->is_array() || window->size() != 2 || !(*window)[0].is_string() ||
        !(*window)[1].is_string()) {
      in.Fail(in.At("disconnectedBetween"), "expected [\"from\", \"to\"], e.g. [\"10m\", \"10m30s\"]");
    } else {
      auto from = ParseDuration((*window)[0].get<std::string>());
      auto to = ParseDuration((*window)[1].get<std::string>());
      if (!from.ok() || !to.ok()) {
        in.Fail(in.At("disconnectedBetween"), (from.ok() ? to : from).status().message());
      } else if (*to < *from) {
        in.Fail(in.At("disconnectedBetween"), "the window ends before it starts");
      } else {
        e.from = *from;
        e.to = *to;
      }
    }
  } else if (const json* never = in.Get("neverDropped")) {
    e.kind = Expectation::Kind::kLegNeverDropped;
    if (*never != true) in.Fail(in.At("neverDropped"), "expected true");
  } else if (const json* stuck = in.Get("reportedStuck")) {
    e.kind = Expectation::Kind::kLegReportedStuck;
    if (*stuck != true) in.Fail(in.At("reportedStuck"), "expected true");
  } else if (in.Get("state")) {
    e.kind = Expectation::Kind::kLegState;
    in.String("state", e.value);
    if (in.ok() && !core::ParseLegState(e.value)) in.Fail(in.At("state"), "unknown state \"" + e.value + "\"");
  } else if (in.Get("media")) {
    e.kind = Expectation::Kind::kLegMedia;
    in.String("media", e.value);
    if (in.ok() && e.value != "flowing" && e.value != "stopped") {
      in.Fail(in.At("media"), "expected \"flowing\" or \"stopped\"");
    }
  } else if (in.Get("wrapupCode")) {
    e.kind = Expectation::Kind::kLegWrapupCode;
    in.String("wrapupCode", e.value);
  } else if (in.Get("ended")) {
    e.kind = Expectation::Kind::kConversationEnded;
    in.Bool("ended", e.ended);
    if (in.ok() && e.conversation.empty()) in.Fail(where, "\"ended\" needs a \"conversation\"");
  } else if (in.Get("oInteracting") || in.Get("oWaiting")) {
    e.kind = Expectation::Kind::kQueueObservation;
    e.name = value.contains("oInteracting") ? "oInteracting" : "oWaiting";
    int count = 0;
    in.Int(e.name, count, 0);
    e.equals = count;
    if (in.ok() && e.queue.empty()) in.Fail(where, "\"" + e.name + "\" needs a \"queue\"");
  } else if (in.Get("routingStatus")) {
    e.kind = Expectation::Kind::kUserRoutingStatus;
    in.String("routingStatus", e.value);
    static const char* const kStatuses[] = {"OFF_QUEUE", "IDLE", "INTERACTING", "COMMUNICATING",
                                            "NOT_RESPONDING"};
    if (in.ok() && std::find(std::begin(kStatuses), std::end(kStatuses), e.value) == std::end(kStatuses)) {
      in.Fail(in.At("routingStatus"),
              "expected OFF_QUEUE, IDLE, INTERACTING, COMMUNICATING or NOT_RESPONDING");
    }
    if (in.ok() && e.user.empty()) in.Fail(where, "\"routingStatus\" needs a \"user\"");
  } else if (in.Get("metric")) {
    e.kind = Expectation::Kind::kMetric;
    in.String("metric", e.name);
    const auto known = NamedMetrics(RunMetrics{});
    const bool found = std::any_of(known.begin(), known.end(),
                                   [&](const auto& metric) { return metric.first == e.name; });
    if (in.ok() && !found) {
      std::string names;
      for (const auto& metric : known) names += (names.empty() ? "" : ", ") + metric.first;
      in.Fail(in.At("metric"), "unknown metric \"" + e.name + "\" (known: " + names + ")");
    }
    ReadBounds(in, e);
  } else {
    in.Fail(where, "say what to expect: disconnectedBetween, neverDropped, reportedStuck, state, "
                   "media, wrapupCode, ended, oInteracting, oWaiting, routingStatus or metric");
  }
  const bool needs_leg = e.kind == Expectation::Kind::kLegDisconnectedBetween ||
                         e.kind == Expectation::Kind::kLegNeverDropped ||
                         e.kind == Expectation::Kind::kLegReportedStuck ||
                         e.kind == Expectation::Kind::kLegState || e.kind == Expectation::Kind::kLegMedia ||
                         e.kind == Expectation::Kind::kLegWrapupCode;
  if (in.ok() && needs_leg && e.leg.empty()) in.Fail(where, "this expectation needs a \"leg\"");
  const bool needs_at = e.kind == Expectation::Kind::kLegState || e.kind == Expectation::Kind::kLegMedia ||
                        e.kind == Expectation::Kind::kLegWrapupCode ||
                        e.kind == Expectation::Kind::kQueueObservation ||
                        e.kind == Expectation::Kind::kUserRoutingStatus;
  if (in.ok() && needs_at && !e.at) in.Fail(where, "this expectation needs an \"at\" time");
  return in.Finish();
}

// Every leg, conversation and queue a scenario names must exist: a typo must fail the load,
// not pass silently. Legs are world participant ids or names an earlier event gave with "as".
class References {
 public:
  explicit References(const Scenario& scenario) : scenario_(scenario) {
    for (const core::ConversationSpec& conv : scenario.world.conversations) {
      if (!conv.id.empty()) conversations_.insert(conv.id);
      for (const core::LegSpec& leg : conv.legs) {
        if (!leg.id.empty()) legs_.insert(leg.id);
      }
    }
    for (const core::Queue& queue : scenario.world.queues) queues_.insert(queue.id);
    for (const core::User& user : scenario.world.users) users_.insert(user.id);
    for (const TimelineEvent& event : scenario.timeline) {
      if (!event.as.empty()) named_at_.emplace(event.as, event.at);
    }
  }

  // `at` empty: when the run ends.
  Status Leg(const std::string& leg, std::optional<Duration> at, const std::string& pointer) const {
    if (legs_.count(leg)) return Status::Ok();
    const auto named = named_at_.find(leg);
    if (named == named_at_.end()) {
      return InvalidArgumentError(pointer + ": leg \"" + leg +
                                  "\" is neither a participant id of the world nor a name given "
                                  "by a timeline event's \"as\"");
    }
    if (at && *at < named->second) {
      return InvalidArgumentError(pointer + ": leg \"" + leg + "\" is named only at " +
                                  FormatDuration(named->second) + ", after " + FormatDuration(*at));
    }
    return Status::Ok();
  }
  Status Conversation(const std::string& id, const std::string& pointer) const {
    if (id.empty() || conversations_.count(id)) return Status::Ok();
    return InvalidArgumentError(pointer + ": conversation " + id + " is not in the world");
  }
  Status Queue(const std::string& id, const std::string& pointer) const {
    if (id.empty() || queues_.count(id)) return Status::Ok();
    return InvalidArgumentError(pointer + ": queue " + id + " is not one of the world's queues");
  }

  Status CheckAll() const {
    Status status;
    const auto check = [&status](Status s) {
      if (status.ok()) status = std::move(s);
    };
    // A name stands for one leg: given twice, later events would reach only one of them.
    std::map<std::string, std::string> given;  // name -> the event that gave it
    for (const TimelineEvent& event : scenario_.timeline) {
      if (event.as.empty()) continue;
      if (legs_.count(event.as)) {
        check(InvalidArgumentError(event.pointer + "/as: \"" + event.as +
                                   "\" is a participant id of the world"));
      } else if (const auto [first, fresh] = given.emplace(event.as, event.pointer); !fresh) {
        check(InvalidArgumentError(event.pointer + "/as: \"" + event.as +
                                   "\" was given already, by " + first->second));
      }
    }
    for (const TimelineEvent& event : scenario_.timeline) {
      if (event.kind == TimelineEvent::Kind::kJoin) {
        check(Conversation(event.conversation, event.pointer + "/conversation"));
        check(core::CheckLegReferences(event.join, scenario_.world, event.pointer + "/join"));
      } else if (!event.leg.empty()) {
        check(Leg(event.leg, event.at, event.pointer + "/leg"));
      }
    }
    if (scenario_.script) {
      for (const ScriptStep& step : scenario_.script->steps) {
        const auto expanded = ExpandLegNames(step.path, [&](const std::string& name) {
          check(Leg(name, step.at, step.pointer + "/path"));
          return name;
        });
        if (!expanded.ok()) check(InvalidArgumentError(step.pointer + "/path: " + expanded.status().message()));
      }
    }
    for (const Expectation& e : scenario_.expectations) {
      if (!e.leg.empty()) check(Leg(e.leg, e.at, e.pointer + "/leg"));
      check(Conversation(e.conversation, e.pointer + "/conversation"));
      check(Queue(e.queue, e.pointer + "/queue"));
      if (!e.user.empty() && !users_.count(e.user)) {
        check(InvalidArgumentError(e.pointer + "/user: user " + e.user + " is not one of the world's users"));
      }
    }
    return status;
  }

 private:
  const Scenario& scenario_;
  std::set<std::string> legs_, conversations_, queues_, users_;
  std::map<std::string, Duration> named_at_;
};

// Anything timed after runFor would never happen or never be checked.
Status CheckTimesWithinRun(const Scenario& scenario) {
  const auto within = [&](Duration at, const std::string& pointer) {
    if (at <= scenario.run_for) return Status::Ok();
    return InvalidArgumentError(pointer + "/at: " + FormatDuration(at) + " is after runFor (" +
                                FormatDuration(scenario.run_for) + "): it would never happen");
  };
  for (const TimelineEvent& event : scenario.timeline) {
    if (Status s = within(event.at, event.pointer); !s.ok()) return s;
  }
  if (scenario.script) {
    for (const ScriptStep& step : scenario.script->steps) {
      if (Status s = within(step.at, step.pointer); !s.ok()) return s;
    }
  }
  for (const Expectation& e : scenario.expectations) {
    if (!e.at) continue;
    if (Status s = within(*e.at, e.pointer); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

std::string Expectation::Describe() const {
  const std::string when = at ? " at " + FormatDuration(*at) : "";
  std::string bounds;
  if (equals) bounds += " = " + nlohmann::json(*equals).dump();
  if (at_least) bounds += " >= " + nlohmann::json(*at_least).dump();
  if (at_most) bounds += " <= " + nlohmann::json(*at_most).dump();
  switch (kind) {
    case Kind::kLegDisconnectedBetween:
      return "leg " + leg + " disconnected between " + FormatDuration(from) + " and " + FormatDuration(to);
    case Kind::kLegNeverDropped: return "leg " + leg + " never dropped";
    case Kind::kLegReportedStuck: return "leg " + leg + " reported stuck";
    case Kind::kLegState: return "leg " + leg + " " + value + when;
    case Kind::kLegMedia: return "leg " + leg + " media " + value + when;
    case Kind::kLegWrapupCode:
      return "leg " + leg + (value.empty() ? std::string(" without a wrap-up code") : " wrap-up code " + value) + when;
    case Kind::kConversationEnded:
      return "conversation " + conversation + (ended ? " ended" : " still live") + when;
    case Kind::kQueueObservation: return name + " of queue " + queue + bounds + when;
    case Kind::kUserRoutingStatus: return "routing status of user " + user + " " + value + when;
    case Kind::kMetric: return name + bounds;
    case Kind::kScriptStatus:
      return "script request " + std::to_string(script_step) + " answered " + std::to_string(status);
  }
  return "?";
}

Result<Scenario> ParseScenario(const json& value, const std::string& path) {
  Scenario scenario;
  scenario.path = path;
  ObjectReader in(value, "");
  in.String("name", scenario.name, true);
  // The name heads the results table, JUnit's testcase and the HTML page: a line of text.
  if (in.ok() && (scenario.name.empty() || scenario.name.size() > 200 ||
                  std::any_of(scenario.name.begin(), scenario.name.end(),
                              [](char c) { return IsControlChar(c); }))) {
    in.Fail(in.At("name"), "must be 1 to 200 characters on one line, with no control characters");
  }
  in.String("description", scenario.description);
  int seed = -1;
  in.Int("seed", seed, 0);
  if (seed >= 0) scenario.seed = seed;
  if (const json* world = in.Get("world", true)) {
    auto parsed = core::ParseWorld(*world, "/world");
    if (!parsed.ok()) return InvalidArgumentError(path + ": " + parsed.status().message());
    scenario.world = std::move(parsed).value();
  }
  in.Array("timeline", [&](const json& item, const std::string& at) {
    return ReadEvent(item, at, scenario.timeline.emplace_back());
  });
  in.Array("faults", [&](const json& item, const std::string& at) {
    auto fault = core::ParseFault(item, TimePoint{}, at);
    if (!fault.ok()) return fault.status();
    scenario.faults.push_back(item);
    return Status::Ok();
  });
  if (in.ok() && scenario.faults.size() > core::FaultBook::kMaxEpisodes) {
    in.Fail(in.At("faults"), "at most " + std::to_string(core::FaultBook::kMaxEpisodes) +
                                 " episodes (" + std::to_string(scenario.faults.size()) +
                                 " given)");
  }
  if (const json* reaper = in.Get("reaper")) {
    Status read = ReadReaper(*reaper, "/reaper", scenario.reaper.emplace());
    if (!read.ok()) return InvalidArgumentError(path + ": " + read.message());
  }
  if (const json* client = in.Get("client")) {
    Status read = ReadClient(*client, "/client", scenario.client.emplace());
    if (!read.ok()) return InvalidArgumentError(path + ": " + read.message());
    scenario.client->working_dir = std::filesystem::path(path).parent_path().string();
  }
  in.Bool("expectFailure", scenario.expect_failure);
  if (const json* script = in.Get("script")) {
    ScriptClient& client = scenario.script.emplace();
    ObjectReader s(*script, "/script");
    s.String("clientId", client.client_id);
    s.String("clientSecret", client.client_secret);
    s.Array("requests", [&](const json& item, const std::string& at) {
      return ReadStep(item, at, client.steps.emplace_back());
    });
    if (Status read = s.Finish(); !read.ok()) return InvalidArgumentError(path + ": " + read.message());
  }
  bool safety_timeout_given = false;
  if (const json* safety = in.Get("safety")) {
    Status read = ReadSafety(*safety, "/safety", scenario.safety, safety_timeout_given);
    if (!read.ok()) return InvalidArgumentError(path + ": " + read.message());
  }
  if (!safety_timeout_given && scenario.reaper) {
    scenario.safety.idle_timeout = scenario.reaper->options.idle_timeout;
  }
  in.DurationField("runFor", scenario.run_for, true);
  if (in.ok() && scenario.run_for <= Duration::zero()) in.Fail(in.At("runFor"), "must be more than 0s");
  // Every run starts at kSimulationStart; the clock stops at kLatestTime, a run past it never ends.
  if (in.ok() && scenario.run_for > kLatestTime - kSimulationStart) {
    in.Fail(in.At("runFor"), "must be at most " + FormatDuration(kLatestTime - kSimulationStart) +
                                 " (the clock stops at " + FormatIso8601(kLatestTime) + ")");
  }
  in.Array("expect", [&](const json& item, const std::string& at) {
    return ReadExpectation(item, at, scenario.expectations.emplace_back());
  });
  if (Status read = in.Finish(); !read.ok()) return InvalidArgumentError(path + ": " + read.message());
  if (!scenario.reaper && !scenario.script && !scenario.client) {
    return InvalidArgumentError(path + ": /: a scenario needs a client under test: \"reaper\", "
                                       "\"client\" or \"script\"");
  }
  if (scenario.reaper && scenario.client) {
    return InvalidArgumentError(path + ": /client: one client under test: \"reaper\" (the bundled "
                                       "one) or \"client\" (a program of your own), not both");
  }
  if (scenario.script) {
    for (size_t i = 0; i < scenario.script->steps.size(); ++i) {
      const ScriptStep& step = scenario.script->steps[i];
      if (!step.expect_status) continue;
      Expectation e{.kind = Expectation::Kind::kScriptStatus, .script_step = i,
                    .status = *step.expect_status, .pointer = step.pointer + "/expectStatus"};
      scenario.expectations.push_back(e);
    }
  }
  for (Status check : {CheckTimesWithinRun(scenario), References(scenario).CheckAll()}) {
    if (!check.ok()) return InvalidArgumentError(path + ": " + check.message());
  }
  return scenario;
}

Result<std::string> ExpandLegNames(const std::string& path,
                                   const std::function<std::string(const std::string&)>& resolve) {
  static constexpr std::string_view kOpen = "{leg:";
  std::string out;
  size_t done = 0;
  for (size_t pos; (pos = path.find(kOpen, done)) != std::string::npos;) {
    const size_t close = path.find('}', pos);
    if (close == std::string::npos) return InvalidArgumentError("\"{leg:\" without its \"}\"");
    out.append(path, done, pos - done);
    out += resolve(path.substr(pos + kOpen.size(), close - pos - kOpen.size()));
    done = close + 1;
  }
  return out.append(path, done, std::string::npos);
}

Result<Scenario> LoadScenarioFile(const std::string& path) {
  auto json = core::ReadJsonFile(path);
  if (!json.ok()) return json.status();
  return ParseScenario(*json, path);
}

Result<std::vector<std::string>> FindScenarioFiles(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      std::vector<std::string> found;
      // Anything named *.json but a folder is a scenario: one that cannot be read (a link
      // that loops, say) is reported on its own, and the others still run.
      for (const auto& entry : fs::recursive_directory_iterator(path, error)) {
        std::error_code unreadable;
        if (entry.path().extension() == ".json" && !entry.is_directory(unreadable)) {
          found.push_back(entry.path().string());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, error) || error) {  // there but unreadable: its load says why
      files.push_back(path);
    } else {
      return NotFoundError(path + ": no such file or folder");
    }
  }
  return files;
}

}  // namespace gcsim::harness
