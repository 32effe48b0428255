#include "gcsim/harness/runner.h"

#include <algorithm>
#include <map>
#include <memory>
#include <sstream>

#include "gcsim/client/activity_source.h"
#include "gcsim/client/api_client.h"
#include "gcsim/client/logger.h"
#include "gcsim/client/reaper.h"
#include "gcsim/client/transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/core/simulator.h"
#include "gcsim/http/server.h"

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
        logger_(log_, clock_) {}

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
    if ((!result_.passed || options_.keep_journal) && sim_) result_.journal = sim_->journal().Entries();
    return std::move(result_);
  }

 private:
  Status Start() {
    auto sim = core::Simulator::Create({.clock = &clock_, .seed = seed_}, scenario_.world);
    if (!sim.ok()) return InvalidArgumentError("/world: " + sim.status().message());
    sim_ = std::move(sim).value();
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
      reaper_ = std::make_unique<client::Reaper>(
          client::ReaperOptions{.idle_timeout = r->idle_timeout, .poll_interval = r->poll_interval,
                                .purposes = r->purposes, .verify_timeout = r->verify_timeout,
                                .max_attempts = r->max_attempts, .dry_run = r->dry_run},
          *reaper_client_, *source_, clock_, logger_);
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
        Record(reaper_->Step(tick));
        next_tick = std::max(tick + scenario_.reaper->poll_interval, clock_.Now());
      }
    }
  }

  std::string Resolve(const std::string& leg) const {
    const auto it = names_.find(leg);
    return it == names_.end() ? leg : it->second;
  }

  void Apply(const TimelineEvent& event) {
    const std::string leg = Resolve(event.leg);
    Status status;
    using Kind = TimelineEvent::Kind;
    switch (event.kind) {
      case Kind::kSpeech: status = sim_->SetSpeech(leg, event.speech); break;
      case Kind::kMute: status = sim_->SetMuted(leg, event.value); break;
      case Kind::kHold: status = sim_->SetHeld(leg, event.value); break;
      case Kind::kConfine: status = sim_->SetConfined(leg, event.value); break;
      case Kind::kHangUp: status = sim_->HangUp(leg); break;
      case Kind::kTransfer: {
        auto replaced = sim_->Transfer(leg);
        status = replaced.status();
        if (replaced.ok() && !event.as.empty()) names_[event.as] = *replaced;
        break;
      }
      case Kind::kJoin: {
        auto joined = sim_->AddLeg(event.conversation, event.join);
        status = joined.status();
        if (joined.ok() && !event.as.empty()) names_[event.as] = *joined;
        break;
      }
    }
    if (!status.ok() && result_.error.empty()) {
      result_.error = event.pointer + ": the event at " + FormatDuration(event.at) +
                      " failed: " + status.message();
    }
  }

  void Send(size_t index) {
    const ScriptStep& step = scenario_.script->steps[index];
    client::HttpRequest request{.method = step.method, .target = step.path};
    for (size_t pos; (pos = request.target.find("{leg:")) != std::string::npos;) {
      const size_t close = request.target.find('}', pos);
      if (close == std::string::npos) break;
      request.target.replace(pos, close - pos + 1, Resolve(request.target.substr(pos + 5, close - pos - 5)));
    }
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
  void Record(const client::StepReport& report) {
    const Duration timeout = scenario_.reaper->idle_timeout;
    sim_->Read([&](const core::WorldView& world) {
      for (const client::DroppedLeg& drop : report.dropped) {
        if (drop.attempt != 1) continue;
        const core::Participant* leg = world.FindParticipant(drop.leg.participant_id);
        if (leg == nullptr) continue;
        const Duration lateness = drop.at - (world.Media(*leg).silent_since + timeout);
        if (lateness < Duration::zero()) {
          ++result_.metrics.early_drops;
          early_.push_back(leg->id + " dropped at " + Since(t0_, drop.at) + ", silent only since " +
                           Since(t0_, world.Media(*leg).silent_since));
        }
        lateness_.push_back(lateness);
      }
    });
  }

  void Finish() {
    RunMetrics& m = result_.metrics;
    if (reaper_) {
      const client::ReaperTotals totals = reaper_->totals();
      m.drops = totals.dropped;
      m.verified = totals.verified;
      m.stuck = totals.stuck;
      m.requests = totals.requests;
      m.too_many_requests = totals.rate_limited;
      m.retries = totals.retries;
      m.requests_per_drop = m.drops ? static_cast<double>(m.requests) / m.drops : 0;
      const auto& r = *scenario_.reaper;
      const auto idle = sim_->SilentLegs(r.idle_timeout + r.poll_interval);
      for (const core::SilentLeg& leg : *idle) {
        const std::string purpose = core::ToString(leg.purpose);
        if (std::find(r.purposes.begin(), r.purposes.end(), purpose) != r.purposes.end()) {
          ++m.idle_legs_left;
        }
      }
    }
    if (!lateness_.empty()) {
      std::sort(lateness_.begin(), lateness_.end());
      m.max_lateness = lateness_.back();
      m.p50_lateness = lateness_[lateness_.size() / 2];
    }
    for (const Expectation& e : scenario_.expectations) {
      if (!e.at) Check(e);
    }
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
        const double value = MetricValue(e.name);
        held = Within(e, value);
        actual = e.name + " = " + nlohmann::json(value).dump();
        if (e.name == "earlyDrops" && !early_.empty()) actual += " (" + early_.front() + ")";
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
    for (const core::JournalEntry& entry : sim_->journal().Entries()) {
      const bool about_leg = !leg_id.empty() && entry.participant_id == leg_id;
      const bool about_conv = !conversation_id.empty() && entry.conversation_id == conversation_id;
      if (about_leg || (e.leg.empty() && about_conv)) failure.journal.push_back(Describe(entry));
    }
    if (failure.journal.size() > 12) {
      failure.journal.erase(failure.journal.begin(), failure.journal.end() - 12);
    }
    result_.failures.push_back(std::move(failure));
  }

  std::string Describe(const core::JournalEntry& entry) const {
    std::string line = "#" + std::to_string(entry.sequence) + " " + Since(t0_, entry.at) + " ";
    if (entry.kind == "request") {
      line += entry.method + " " + entry.path + " -> " + std::to_string(entry.status);
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

  double MetricValue(const std::string& name) const {
    for (const auto& [metric, value] : NamedMetrics(result_.metrics)) {
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
  std::ostringstream log_;
  client::Logger logger_;
  std::unique_ptr<core::Simulator> sim_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<client::HttpTransport> transport_;
  std::unique_ptr<client::ApiClient> reaper_client_;
  std::unique_ptr<client::ActivitySource> source_;
  std::unique_ptr<client::Reaper> reaper_;
  std::unique_ptr<client::ApiClient> script_client_;
  std::map<std::string, std::string> names_;
  std::vector<int> script_statuses_;
  std::vector<Duration> lateness_;
  std::vector<std::string> early_;
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
          {"requestsPerDrop", m.requests_per_drop},
          {"scriptRequests", m.script_requests}};
}

ScenarioResult RunScenario(const Scenario& scenario, const RunOptions& options) {
  return Run(scenario, options).Execute();
}

ScenarioResult BrokenScenario(const std::string& path, const Status& error) {
  ScenarioResult result;
  result.path = path;
  result.name = path;
  result.error = error.message();
  return result;
}

}  // namespace gcsim::harness
