#include "gcsim/harness/runner.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "gcsim/client/activity_source.h"
#include "gcsim/client/api_client.h"
#include "gcsim/client/logger.h"
#include "gcsim/client/reaper.h"
#include "gcsim/client/transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/core/simulator.h"
#include "gcsim/http/server.h"
#include "trace_recorder.h"

namespace gcsim::harness {
namespace {

std::string Since(TimePoint t0, TimePoint t) { return FormatDuration(t - t0); }

// One scenario's run. Members are declared so that clients go before the server they talk to:
// an open keep-alive connection would hold the server's Stop() for its idle timeout.
class Run {
 public:
  Run(const Scenario& scenario, const RunOptions& options)
      : scenario_(scenario),
        options_(options),
        seed_(scenario.seed.value_or(options.seed)),
        clock_({.advance_on_wait = true}),
        t0_(clock_.Now()),
        logger_(null_log_, clock_,
                {.min_level = client::LogLevel::kDebug,
                 .sink = [this](client::LogLevel level, std::string_view event,
                                const client::LogFields& fields) { NoteDecision(level, event, fields); }}) {}

  ScenarioResult Execute() {
    const TimePoint wall_start = wall_.Now();
    result_.name = scenario_.name;
    result_.path = scenario_.path;
    result_.expectations = scenario_.expectations.size();
    if (Status started = Start(); !started.ok()) {
      result_.error = started.message();
    } else {
      Schedule();
      Loop();
      Finish();
    }
    Stop();
    result_.simulated = clock_.Now() - t0_;
    result_.wall = wall_.Now() - wall_start;
    result_.passed = result_.error.empty() && result_.failures.empty();
    result_.notes = std::move(notes_);
    if ((!result_.passed || options_.keep_journal) && sim_) result_.journal = sim_->journal().Entries();
    if (recorder_ && sim_) {
      sim_->Read([this](const core::WorldView& world) {
        result_.trace = recorder_->Finish(world, lateness_);
      });
    }
    return std::move(result_);
  }

 private:
  Status Start() {
    auto sim = core::Simulator::Create({.clock = &clock_, .seed = seed_}, scenario_.world);
    if (!sim.ok()) return InvalidArgumentError("/world: " + sim.status().message());
    sim_ = std::move(sim).value();
    // Every drop request reaches the journal; the tap sees each one even when the journal's
    // limit would drop it later.
    if (options_.trace) {
      recorder_ = std::make_unique<TraceRecorder>(t0_, scenario_.run_for,
                                                  scenario_.safety.idle_timeout);
    }
    sim_->journal().SetTap([this](const core::JournalEntry& entry) {
      if (entry.drop_silent_since) NoteDropRequest(entry);
      if (recorder_) recorder_->NoteEntry(entry);
    });
    auto server = http::Server::Create({.simulator = sim_.get(), .manual_clock = &clock_,
                                        .initial_world = scenario_.world,
                                        .threads = options_.server_threads, .seed = seed_});
    if (!server.ok()) return server.status();
    server_ = std::move(server).value();
    auto port = server_->Start();
    if (!port.ok()) return port.status();
    const std::string url = "http://127.0.0.1:" + std::to_string(*port);
    transport_ = std::make_unique<client::HttpTransport>();
    if (const auto& r = scenario_.reaper) {
      reaper_client_ = std::make_unique<client::ApiClient>(
          client::ApiClientOptions{.api_url = url, .client_id = r->client_id,
                                   .client_secret = r->client_secret, .jitter_seed = seed_},
          clock_, *transport_, &logger_);
      if (r->activity == "signals") {
        source_ = std::make_unique<client::SignalsActivitySource>(*reaper_client_);
      } else {
        source_ = std::make_unique<client::SimActivitySource>(*reaper_client_);
      }
      reaper_ = std::make_unique<client::Reaper>(r->options, *reaper_client_, *source_, clock_,
                                                 logger_);
    }
    if (const auto& s = scenario_.script) {
      script_client_ = std::make_unique<client::ApiClient>(
          client::ApiClientOptions{.api_url = url, .client_id = s->client_id,
                                   .client_secret = s->client_secret, .max_retries = 0,
                                   .jitter_seed = seed_},
          clock_, *transport_, &logger_);
      script_statuses_.assign(s->steps.size(), 0);
    }
    return Status::Ok();
  }

  void Stop() {
    reaper_.reset();
    source_.reset();
    reaper_client_.reset();
    script_client_.reset();
    transport_.reset();
    if (server_) server_->Stop();
  }

  // Timeline events, script requests and timed checks become clock timers, in that order, so
  // that at equal times a check sees what the events and requests did.
  void Schedule() {
    for (const TimelineEvent& event : scenario_.timeline) {
      clock_.Schedule(t0_ + event.at, [this, &event] { Apply(event); });
    }
    if (scenario_.script) {
      for (size_t i = 0; i < scenario_.script->steps.size(); ++i) {
        clock_.Schedule(t0_ + scenario_.script->steps[i].at, [this, i] { Send(i); });
      }
    }
    for (const Expectation& e : scenario_.expectations) {
      if (e.at) clock_.Schedule(t0_ + *e.at, [this, &e] { Check(e); });
    }
    // Last, so that a sample sees what the events at its instant did.
    if (recorder_) {
      for (const Duration at : recorder_->SampleTimes()) {
        clock_.Schedule(t0_ + at, [this] {
          sim_->Read([this](const core::WorldView& world) { recorder_->Sample(world); });
        });
      }
    }
  }

  // Jumps to the next reaper tick (or the end); timers due on the way fire in order.
  void Loop() {
    const TimePoint end = t0_ + scenario_.run_for;
    TimePoint next_tick = t0_;
    while (true) {
      clock_.AdvanceTo(reaper_ ? std::min(next_tick, end) : end);
      if (clock_.Now() >= end) break;
      if (reaper_ && clock_.Now() >= next_tick) {
        const TimePoint tick = clock_.Now();
        if (recorder_) recorder_->NoteTick(tick);
        Record(reaper_->Step(tick));
        next_tick = std::max(tick + scenario_.reaper->options.poll_interval, clock_.Now());
      }
      if (options_.progress) options_.progress(clock_.Now() - t0_);
    }
    if (options_.progress) options_.progress(clock_.Now() - t0_);
  }

  std::string Resolve(const std::string& leg) const {
    const auto it = names_.find(leg);
    return it == names_.end() ? leg : it->second;
  }

  void Apply(const TimelineEvent& event) {
    using Kind = TimelineEvent::Kind;
    const std::string leg = Resolve(event.leg);
    const std::string what = EventText(event);
    if (event.kind != Kind::kJoin && unresolved_.count(event.leg)) {
      if (!event.as.empty()) unresolved_.insert(event.as);  // and so on down the chain
      return Note(event, leg, what + " skipped: the event that names \"" + event.leg + "\" was skipped");
    }
    Status status;
    std::string made;  // the participant a transfer or join created
    switch (event.kind) {
      case Kind::kSpeech: status = sim_->SetSpeech(leg, event.speech); break;
      case Kind::kMute: status = sim_->SetMuted(leg, event.value); break;
      case Kind::kHold: status = sim_->SetHeld(leg, event.value); break;
      case Kind::kConfine: status = sim_->SetConfined(leg, event.value); break;
      case Kind::kHangUp: status = sim_->HangUp(leg); break;
      case Kind::kTransfer: {
        auto replaced = sim_->Transfer(leg);
        status = replaced.status();
        if (replaced.ok()) made = *replaced;
        break;
      }
      case Kind::kJoin: {
        auto joined = sim_->AddLeg(event.conversation, event.join);
        status = joined.status();
        if (joined.ok()) made = *joined;
        break;
      }
    }
    if (!event.as.empty()) {
      if (made.empty()) unresolved_.insert(event.as);
      else names_[event.as] = made;
    }
    if (status.reason() == "conversation.error.call.disconnected") {
      // The world moved on (a drop, early or not, or a hang-up got there first): the event
      // cannot happen. Not an error of the file: the expectations and the safety check judge.
      return Note(event, leg, what + " skipped: " + status.message());
    }
    if (!status.ok()) {
      if (result_.error.empty()) {
        result_.error = event.pointer + ": the event at " + FormatDuration(event.at) +
                        " failed: " + status.message();
      }
      return;
    }
    sim_->journal().Append({.at = clock_.Now(), .kind = "timeline",
                            .conversation_id = event.conversation,
                            .participant_id = event.kind == Kind::kJoin ? made : leg,
                            .effect = made.empty() || event.kind == Kind::kJoin
                                          ? what
                                          : what + ": " + made + " replaces it"});
  }

  // "unmute", "speech always", ...: a timeline event in words, for the journal.
  static std::string EventText(const TimelineEvent& event) {
    using Kind = TimelineEvent::Kind;
    std::string text = "timeline " + event.pointer + ": ";
    switch (event.kind) {
      case Kind::kSpeech: return text + "speech " + core::SpeechToJson(event.speech).dump();
      case Kind::kMute: return text + (event.value ? "mute" : "unmute");
      case Kind::kHold: return text + (event.value ? "hold" : "resume from hold");
      case Kind::kConfine: return text + (event.value ? "confine" : "release from confinement");
      case Kind::kHangUp: return text + "the far end hangs up";
      case Kind::kTransfer: return text + "transfer away and back";
      case Kind::kJoin: return text + "a new leg joins";
    }
    return text;
  }

  // A timeline event that could not happen: in the result and the journal, where it happened.
  void Note(const TimelineEvent& event, const std::string& leg, std::string text) {
    notes_.push_back(FormatDuration(event.at) + " " + text);
    sim_->journal().Append({.at = clock_.Now(), .kind = "timeline", .participant_id = leg,
                            .effect = std::move(text)});
  }

  // The reaper's decisions (candidates, skips and why, drops, still up, stuck) join the
  // requests in the journal, in the order they were made, so a failure explains itself.
  // On the reaper's thread, which is the runner's.
  void NoteDecision(client::LogLevel level, std::string_view event, const client::LogFields& fields) {
    if (event == "tick") return;  // a per-tick summary: the entries around it say more
    core::JournalEntry entry{.at = clock_.Now(), .kind = "reaper"};
    std::string text(event);
    for (const auto& [key, value] : fields) {
      if (key == "conversation") entry.conversation_id = value;
      else if (key == "participant") entry.participant_id = value;
      else text += " " + key + "=" + value;
    }
    if (level >= client::LogLevel::kWarn) {
      text = std::string(client::LogLevelName(level)) + ": " + text;
      std::lock_guard lock(drops_mu_);
      if (!entry.participant_id.empty()) reported_.insert(entry.participant_id);
    }
    if (recorder_ && level >= client::LogLevel::kWarn && !entry.participant_id.empty()) {
      recorder_->NoteWarning(entry.at, entry.participant_id, text);
    }
    entry.effect = std::move(text);
    sim_->journal().Append(std::move(entry));
  }

  // From the journal's tap, on a server thread.
  void NoteDropRequest(const core::JournalEntry& entry) {
    const Duration silent_for = entry.at - *entry.drop_silent_since;
    std::lock_guard lock(drops_mu_);
    if (!entry.participant_id.empty()) reported_.insert(entry.participant_id);
    if (silent_for >= scenario_.safety.idle_timeout) return;
    early_.push_back({.sequence = entry.sequence, .at = entry.at,
                      .participant_id = entry.participant_id,
                      .text = (entry.participant_id.empty() ? "conversation " + entry.conversation_id
                                                            : entry.participant_id) +
                              ": " + entry.method + " by " + entry.client_id + " at " +
                              Since(t0_, entry.at) + " (#" + std::to_string(entry.sequence) +
                              ") reached it " + FormatDuration(silent_for) +
                              " after it was last heard"});
  }

  void Send(size_t index) {
    const ScriptStep& step = scenario_.script->steps[index];
    // The loader refused a path whose placeholders do not expand.
    const auto target = ExpandLegNames(step.path, [this](const std::string& name) { return Resolve(name); });
    client::HttpRequest request{.method = step.method, .target = target.ok() ? *target : step.path};
    for (const auto& [name, value] : step.headers) request.headers[name] = value;
    if (step.body) {
      request.body = step.body->dump();
      if (!request.headers.count("Content-Type")) request.headers["Content-Type"] = "application/json";
    }
    ++result_.metrics.script_requests;
    auto response = script_client_->Execute(std::move(request));
    script_statuses_[index] = response.ok() ? response->status : -1;
    if (!response.ok() && result_.error.empty()) {
      result_.error = step.pointer + ": the request could not be sent: " + response.status().message();
    }
  }

  // Lateness of each first drop: how long after the leg became idle (silent for the timeout).
  // Early drops are not judged here but from every drop request in the journal, whoever sent it.
  void Record(const client::StepReport& report) {
    const Duration timeout = scenario_.reaper->options.idle_timeout;
    sim_->Read([&](const core::WorldView& world) {
      for (const client::DroppedLeg& drop : report.dropped) {
        if (drop.attempt != 1) continue;
        const core::Participant* leg = world.FindParticipant(drop.leg.participant_id);
        if (leg == nullptr) continue;
        lateness_.push_back(drop.at - (world.Media(*leg).silent_since + timeout));
      }
    });
  }

  // The run's figures as of now: a metric expectation with "at" is judged on these then.
  RunMetrics MetricsNow() const {
    RunMetrics m = result_.metrics;  // counted as they happen: script requests
    std::set<std::string> reported;
    {
      std::lock_guard lock(drops_mu_);
      m.early_drops = early_.size();
      reported = reported_;
    }
    if (reaper_) {
      const client::ReaperTotals totals = reaper_->totals();
      m.drops = totals.dropped;
      m.verified = totals.verified;
      m.stuck = totals.stuck;
      m.requests = totals.requests;
      m.too_many_requests = totals.rate_limited;
      m.retries = totals.retries;
      m.requests_per_drop = m.drops ? static_cast<double>(m.requests) / m.drops : 0;
      const client::ReaperOptions& r = scenario_.reaper->options;
      const auto idle = sim_->SilentLegs(r.idle_timeout + r.poll_interval);
      const auto allowed = [&r](const core::SilentLeg& leg) {
        return std::find(r.purposes.begin(), r.purposes.end(), core::ToString(leg.purpose)) !=
               r.purposes.end();
      };
      m.idle_legs_left = std::count_if(idle->begin(), idle->end(), allowed);
      // Idle long enough that a drop should have landed, and the reaper neither tried nor said
      // why not. The signals source can only see legs muted or held.
      Duration latency{};
      sim_->Read([&latency](const core::WorldView& world) { latency = world.disconnect_latency(); });
      const bool signals = scenario_.reaper->activity == "signals";
      for (const core::SilentLeg& leg : *sim_->SilentLegs(r.idle_timeout + r.poll_interval + latency)) {
        if (allowed(leg) && (!signals || leg.muted || leg.held) && !reported.count(leg.participant_id)) {
          ++m.idle_legs_unhandled;
        }
      }
    }
    if (!lateness_.empty()) {
      std::vector<Duration> sorted = lateness_;
      std::sort(sorted.begin(), sorted.end());
      m.max_lateness = sorted.back();
      m.p50_lateness = sorted[sorted.size() / 2];
    }
    return m;
  }

  void Finish() {
    result_.metrics = MetricsNow();
    for (const Expectation& e : scenario_.expectations) {
      if (!e.at) Check(e);
    }
    CheckSafety();
  }

  // Built into every scenario: no drop, first or retry, by any client, reached a leg heard
  // within the idle timeout. A scenario that shows an unsafe client opts out with
  // "safety": {"enforce": false}.
  void CheckSafety() {
    std::vector<EarlyDrop> early;
    {
      std::lock_guard lock(drops_mu_);  // not held below: the journal's lock comes first
      early = early_;
    }
    if (early.empty() || !scenario_.safety.enforce) return;
    Failure failure{.expectation = "no drop reaches a leg heard within the last " +
                                   FormatDuration(scenario_.safety.idle_timeout) +
                                   " (built-in safety check)",
                    .pointer = "/safety",
                    .actual = std::to_string(early.size()) + " early drop request(s); first: " +
                              early.front().text};
    failure.journal = JournalAbout(early.front().participant_id, "");
    result_.failures.push_back(std::move(failure));
  }

  // The last journal lines about a leg (or, without one, a conversation): requests, effects,
  // timeline events and the reaper's decisions, in the order they happened.
  std::vector<std::string> JournalAbout(const std::string& leg_id, const std::string& conversation_id) const {
    std::vector<std::string> lines;
    for (const core::JournalEntry& entry : sim_->journal().Entries()) {
      const bool about_leg = !leg_id.empty() && entry.participant_id == leg_id;
      const bool about_conv = !conversation_id.empty() && entry.conversation_id == conversation_id;
      if (about_leg || (leg_id.empty() && about_conv)) lines.push_back(Describe(entry));
    }
    if (lines.size() > 16) lines.erase(lines.begin(), lines.end() - 16);
    return lines;
  }

  // Evaluates one expectation now and records a failure if it does not hold.
  void Check(const Expectation& e) {
    using Kind = Expectation::Kind;
    std::string actual;
    bool held = false;
    std::string leg_id = Resolve(e.leg);
    std::string conversation_id = e.conversation;
    switch (e.kind) {
      case Kind::kMetric: {
        const double value = MetricValue(MetricsNow(), e.name);
        held = Within(e, value);
        actual = e.name + " = " + nlohmann::json(value).dump();
        std::lock_guard lock(drops_mu_);
        if (e.name == "earlyDrops" && !early_.empty()) actual += " (" + early_.front().text + ")";
        break;
      }
      case Kind::kScriptStatus: {
        const int status = script_statuses_[e.script_step];
        held = status == e.status;
        actual = status == 0 ? "never sent" : "answered " + std::to_string(status);
        break;
      }
      case Kind::kQueueObservation: {
        core::QueueObservation seen;
        sim_->Read([&](const core::WorldView& world) { seen = core::ObserveQueue(world, e.queue); });
        const int value = e.name == "oInteracting" ? seen.interacting : seen.waiting;
        held = Within(e, value);
        actual = e.name + " = " + std::to_string(value);
        break;
      }
      default:
        sim_->Read([&](const core::WorldView& world) {
          if (e.kind == Kind::kConversationEnded) {
            const core::Conversation* conv = world.FindConversation(conversation_id);
            if (conv == nullptr) {
              actual = "no such conversation";
              return;
            }
            held = conv->end_time.has_value() == e.ended;
            actual = conv->end_time ? "ended at " + Since(t0_, *conv->end_time) : "still live";
            return;
          }
          const core::Participant* leg = world.FindParticipant(leg_id);
          if (leg == nullptr) {
            actual = "no such participant " + leg_id;
            return;
          }
          conversation_id = leg->conversation_id;
          const std::string state = std::string(core::ToString(leg->state)) +
                                    (leg->end_time ? " at " + Since(t0_, *leg->end_time) : "") +
                                    (leg->disconnect_type.empty() ? "" : " (disconnectType " + leg->disconnect_type + ")");
          switch (e.kind) {
            case Kind::kLegDisconnectedBetween: {
              const bool gone = !core::IsLive(leg->state) && leg->end_time;
              held = gone && *leg->end_time - t0_ >= e.from && *leg->end_time - t0_ <= e.to;
              actual = state;
              break;
            }
            case Kind::kLegNeverDropped:
              held = leg->disconnect_type != "client";
              actual = state;
              break;
            case Kind::kLegState:
              held = e.value == core::ToString(leg->state);
              actual = state;
              break;
            case Kind::kLegMedia: {
              const core::MediaState media = world.Media(*leg);
              held = media.flowing == (e.value == "flowing");
              actual = std::string(media.flowing ? "flowing" : "stopped") + ", leg " + state;
              break;
            }
            default: break;
          }
        });
    }
    if (held) return;
    Failure failure{.expectation = e.Describe(), .pointer = e.pointer, .actual = actual};
    failure.journal = JournalAbout(e.leg.empty() ? "" : leg_id, conversation_id);
    result_.failures.push_back(std::move(failure));
  }

  std::string Describe(const core::JournalEntry& entry) const {
    std::string line = "#" + std::to_string(entry.sequence) + " " + Since(t0_, entry.at) + " ";
    if (entry.kind == "request") {
      line += entry.method + " " + entry.path + " -> " + std::to_string(entry.status);
      if (!entry.client_id.empty()) line += " (" + entry.client_id + ")";
    } else {
      line += entry.kind;
    }
    if (!entry.effect.empty()) line += ": " + entry.effect;
    return line;
  }

  static bool Within(const Expectation& e, double value) {
    return (!e.equals || value == *e.equals) && (!e.at_most || value <= *e.at_most) &&
           (!e.at_least || value >= *e.at_least);
  }

  static double MetricValue(const RunMetrics& metrics, const std::string& name) {
    for (const auto& [metric, value] : NamedMetrics(metrics)) {
      if (metric == name) return value;
    }
    return -1;  // unreachable: the loader accepts only known names
  }

  const Scenario& scenario_;
  const RunOptions options_;
  const uint64_t seed_;
  RealClock wall_;  // only to report how long the run took
  ManualClock clock_;
  const TimePoint t0_;
  std::ostream null_log_{nullptr};  // the logger's lines go to the journal instead
  client::Logger logger_;
  // Set when RunOptions::trace. Before the server, whose threads feed it until they stop.
  std::unique_ptr<TraceRecorder> recorder_;
  std::unique_ptr<core::Simulator> sim_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<client::HttpTransport> transport_;
  std::unique_ptr<client::ApiClient> reaper_client_;
  std::unique_ptr<client::ActivitySource> source_;
  std::unique_ptr<client::Reaper> reaper_;
  std::unique_ptr<client::ApiClient> script_client_;
  std::map<std::string, std::string> names_;  // "as" names -> participant ids
  std::set<std::string> unresolved_;          // "as" names whose event was skipped
  std::vector<std::string> notes_;
  std::vector<int> script_statuses_;
  std::vector<Duration> lateness_;
  struct EarlyDrop {
    uint64_t sequence = 0;
    TimePoint at;
    std::string participant_id;
    std::string text;
  };
  mutable std::mutex drops_mu_;  // the journal's tap writes from server threads
  std::vector<EarlyDrop> early_;
  std::set<std::string> reported_;  // legs a drop request reached, or the reaper warned about
  ScenarioResult result_;
};

}  // namespace

std::vector<std::pair<std::string, double>> NamedMetrics(const RunMetrics& m) {
  return {{"drops", m.drops},
          {"verified", m.verified},
          {"stuck", m.stuck},
          {"requests", m.requests},
          {"tooManyRequests", m.too_many_requests},
          {"retries", m.retries},
          {"earlyDrops", m.early_drops},
          {"maxLatenessMs", m.max_lateness.count()},
          {"p50LatenessMs", m.p50_lateness.count()},
          {"idleLegsLeft", m.idle_legs_left},
          {"idleLegsUnhandled", m.idle_legs_unhandled},
          {"requestsPerDrop", m.requests_per_drop},
          {"scriptRequests", m.script_requests}};
}

ScenarioResult RunScenario(const Scenario& scenario, const RunOptions& options) {
  try {
    return Run(scenario, options).Execute();
  } catch (const std::exception& error) {
    // A bug, or memory exhausted by a huge world: this scenario is an ERROR, the others run.
    ScenarioResult result =
        BrokenScenario(scenario.path, InternalError(std::string("the run failed: ") + error.what()));
    result.name = scenario.name;
    return result;
  }
}

ScenarioResult BrokenScenario(const std::string& path, const Status& error) {
  ScenarioResult result;
  result.path = path;
  result.name = path;
  result.error = error.message();
  return result;
}

}  // namespace gcsim::harness
