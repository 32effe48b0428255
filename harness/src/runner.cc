#include "gcsim/harness/runner.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "gcsim/client/activity_source.h"
#include "gcsim/client/api_client.h"
#include "gcsim/client/audiohook_source.h"
#include "gcsim/client/logger.h"
#include "gcsim/client/notifications_source.h"
#include "gcsim/client/reaper.h"
#include "gcsim/client/transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/strings.h"
#include "gcsim/core/queries.h"
#include "gcsim/core/simulator.h"
#include "gcsim/http/server.h"
#include "client_process.h"
#include "skewed_clock.h"
#include "trace_recorder.h"

namespace gcsim::harness {
namespace {

std::string Since(TimePoint t0, TimePoint t) { return FormatDuration(t - t0); }

// Whether a reaper with `options` may drop `leg` at all (its purpose is one it drops).
bool MayDrop(const client::ReaperOptions& options, const core::SilentLeg& leg) {
  return std::find(options.purposes.begin(), options.purposes.end(), core::ToString(leg.purpose)) !=
         options.purposes.end();
}

// An external client gets this many server workers at least: it opens connections as it likes,
// and a keep-alive connection holds a worker.
constexpr size_t kExternalClientServerThreads = 16;
// Lines of an external client's stderr quoted in an error.
constexpr size_t kStderrLinesQuoted = 12;
// Wall time the AudioHook streams get to reach the clock before a tick (they take
// milliseconds; past this something is broken).
constexpr std::chrono::milliseconds kAudioHookSyncLimit{10'000};

// Figures only the bundled reaper reports about itself; an external client cannot be asked.
bool IsReaperOwnMetric(const std::string& name) {
  return name == "verified" || name == "stuck" || name == "retries";
}

// The client that runs as a program of its own, if any: the scenario's, or --client-cmd in
// place of the scenario's client (keeping its OAuth client and environment).
std::optional<ExternalClient> ExternalClientOf(const Scenario& scenario, const RunOptions& options) {
  std::optional<ExternalClient> client = scenario.client;
  if (options.client_command && (scenario.reaper || scenario.client)) {
    if (!client) client.emplace();
    if (scenario.reaper) {
      client->client_id = scenario.reaper->client_id;
      client->client_secret = scenario.reaper->client_secret;
      client->clock_skew =
          std::chrono::duration_cast<std::chrono::seconds>(scenario.reaper->clock_skew);
    }
    auto words = SplitCommand(*options.client_command);
    client->command = words.ok() ? *std::move(words) : std::vector<std::string>{};
    client->working_dir.clear();
  }
  if (client && options.time_scale) client->time_scale = *options.time_scale;
  return client;
}

// The last `lines` lines of `text`.
std::string Tail(const std::string& text, size_t lines) {
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '\n') --end;
  size_t start = end;
  for (size_t seen = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++seen == lines) break;
  }
  return text.substr(start, end - start);
}

// One scenario's run. Members are declared so that clients go before the server they talk to:
// an open keep-alive connection would hold the server's Stop() for its idle timeout.
class Run {
 public:
  Run(const Scenario& scenario, const RunOptions& options)
      : scenario_(scenario),
        options_(options),
        seed_(scenario.seed.value_or(options.seed)),
        external_(ExternalClientOf(scenario, options)),
        manual_({.advance_on_wait = true}),
        // Stopped until the client's own clock starts (RunExternal).
        scaled_(external_ ? std::make_unique<ScaledClock>(
                                wall_, ScaledClockOptions{.factor = external_->time_scale,
                                                          .running = false})
                          : nullptr),
        clock_(scaled_ ? static_cast<Clock&>(*scaled_) : manual_),
        reaper_clock_(clock_, scenario.reaper ? scenario.reaper->clock_skew : Duration::zero()),
        t0_(clock_.Now()),
        logger_(null_log_, clock_,
                {.min_level = client::LogLevel::kDebug,
                 .sink = [this](client::LogLevel level, std::string_view event,
                                const client::LogFields& fields) {
                   NoteDecision(level, event, fields);
                 }}) {}

  ScenarioResult Execute() {
    const TimePoint wall_start = wall_.Now();
    result_.name = scenario_.name;
    result_.path = scenario_.path;
    result_.expectations = scenario_.expectations.size();
    if (Status started = Start(); !started.ok()) {
      result_.error = started.message();
    } else {
      Schedule();
      if (external_) {
        RunExternal();
      } else {
        Loop();
        Finish();
      }
    }
    EndTimers();
    Stop();
    if (!finished_) result_.simulated = clock_.Now() - t0_;
    result_.wall = wall_.Now() - wall_start;
    if (result_.wall.count() > 0) {
      result_.speed = static_cast<double>(result_.simulated.count()) / result_.wall.count();
    }
    result_.passed = result_.error.empty() && result_.failures.empty();
    if (scenario_.expect_failure && !options_.client_command && result_.error.empty()) {
      // The scenario shows a client that fails: that it fails is the pass.
      result_.expected_failure = true;
      result_.passed = !result_.failures.empty();
      if (!result_.passed) {
        result_.failures.push_back(
            {.expectation = "at least one expectation fails (expectFailure: the scenario shows a "
                            "client that fails)",
             .pointer = "/expectFailure",
             .actual = "every expectation held"});
      }
    }
    result_.notes = std::move(notes_);
    if ((!result_.passed || result_.expected_failure || options_.keep_journal) && sim_) {
      result_.journal = sim_->journal().Entries();
    }
    if (recorder_ && sim_) {
      std::vector<Duration> lateness;
      {
        std::lock_guard lock(drops_mu_);
        lateness = lateness_;
      }
      sim_->Read([this, &lateness](const core::WorldView& world) {
        result_.trace = recorder_->Finish(world, lateness);
      });
    }
    return std::move(result_);
  }

 private:
  Status Start() {
    auto sim = core::Simulator::Create({.clock = &clock_, .seed = seed_}, scenario_.world);
    if (!sim.ok()) return InvalidArgumentError("/world: " + sim.status().message());
    sim_ = std::move(sim).value();
    for (const nlohmann::json& fault : scenario_.faults) {
      sim_->faults().Add(*core::ParseFault(fault, clock_.Now()));
    }
    // Every drop request reaches the journal; the tap sees each one even when the journal's
    // limit would drop it later.
    if (options_.trace) {
      recorder_ = std::make_unique<TraceRecorder>(t0_, scenario_.run_for,
                                                  scenario_.safety.idle_timeout);
    }
    sim_->journal().SetTap([this](const core::JournalEntry& entry) {
      if (entry.drop_silent_since) NoteDropRequest(entry);
      if (entry.answer_lost) {
        std::lock_guard lock(drops_mu_);
        lost_answers_.insert(entry.method + " " + entry.path);
      }
      if (recorder_) recorder_->NoteEntry(entry);
    });
    sim_->journal().traffic().set_idle_timeout(scenario_.safety.idle_timeout);
    // A reaper that sends several requests at once numbers them, and the server answers them
    // in that order: the journal stays the same run after run.
    const bool ordered =
        !external_ && scenario_.reaper && scenario_.reaper->options.concurrency > 1;
    auto server = http::Server::Create(
        {.simulator = sim_.get(), .manual_clock = external_ ? nullptr : &manual_,
         .initial_world = scenario_.world,
         .threads = external_ ? std::max(options_.server_threads, kExternalClientServerThreads)
                              : options_.server_threads,
         .seed = seed_,
         .order_requests = ordered,
         .think_time = ThinkTime()});
    if (!server.ok()) return server.status();
    server_ = std::move(server).value();
    auto port = server_->Start();
    if (!port.ok()) return port.status();
    const std::string url = "http://127.0.0.1:" + std::to_string(*port);
    url_ = url;
    transport_ = std::make_unique<client::HttpTransport>();
    if (const auto& r = scenario_.reaper; r && !external_) {
      reaper_client_ = std::make_unique<client::ApiClient>(
          client::ApiClientOptions{.api_url = url,
                                   .client_id = r->client_id,
                                   .client_secret = r->client_secret,
                                   .jitter_seed = seed_,
                                   .number_requests = ordered},
          reaper_clock_, *transport_, &logger_);
      if (r->activity == "signals") {
        source_ = std::make_unique<client::SignalsActivitySource>(*reaper_client_);
      } else if (r->activity == "notifications") {
        source_ =
            std::make_unique<client::NotificationsActivitySource>(*reaper_client_, reaper_clock_);
      } else if (r->activity == "audiohook") {
        auto audiohook = std::make_unique<client::AudioHookActivitySource>(reaper_clock_);
        if (Status listening = audiohook->Start(); !listening.ok()) return listening;
        // Sessions open only at the syncs before each tick: the source then reads the clock
        // at the instant each `open` was sent.
        if (Status streaming = server_->StreamAudioHook(
                {.url = "ws://127.0.0.1:" + std::to_string(audiohook->port()) + "/audiohook",
                 .open_on_timer = false});
            !streaming.ok()) {
          return streaming;
        }
        audiohook_ = true;
        source_ = std::move(audiohook);
      } else {
        source_ = std::make_unique<client::SimActivitySource>(*reaper_client_);
      }
      reaper_ = std::make_unique<client::Reaper>(r->options, *reaper_client_, *source_,
                                                 reaper_clock_, logger_);
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
    process_.reset();
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
      At(t0_ + event.at, [this, &event] { Apply(event); });
    }
    if (scenario_.script) {
      for (size_t i = 0; i < scenario_.script->steps.size(); ++i) {
        At(t0_ + scenario_.script->steps[i].at, [this, i] { Send(i); });
      }
    }
    for (const Expectation& e : scenario_.expectations) {
      if (e.at) At(t0_ + *e.at, [this, &e] { Check(e); });
    }
    // Last, so that a sample sees what the events at its instant did.
    if (recorder_) {
      for (const Duration at : recorder_->SampleTimes()) {
        At(t0_ + at, [this] {
          sim_->Read([this](const core::WorldView& world) { recorder_->Sample(world); });
        });
      }
    }
  }

  // Runs `fn` when the clock reaches `at`, unless the run is over by then. With an external
  // client the clock's timers fire on its own thread, one at a time; never after EndTimers().
  // No lock is held while `fn` runs: a script request answered late moves the manual clock
  // from a server thread, whose timers then fire there while this one waits for the answer.
  void At(TimePoint at, std::function<void()> fn) {
    std::weak_ptr<Lifeline> weak = lifeline_;
    clock_.Schedule(at, [weak, fn = std::move(fn)] {
      const auto life = weak.lock();
      if (!life) return;
      {
        std::lock_guard lock(life->mu);
        if (!life->alive) return;
        ++life->running;
      }
      fn();
      std::lock_guard lock(life->mu);
      if (--life->running == 0) life->idle.notify_all();
    });
  }

  // Waits for the timers that are running, and keeps any other from running.
  void EndTimers() {
    std::unique_lock lock(lifeline_->mu);
    lifeline_->alive = false;
    lifeline_->idle.wait(lock, [this] { return lifeline_->running == 0; });
  }

  // The run with an external client: the simulator on the scaled clock, the client a child
  // process under libfaketime at the same instant and speed, until runFor has passed.
  void RunExternal() {
    const TimePoint end = t0_ + scenario_.run_for;
    // Scheduled after every other timer, so it fires after all those due at `end`: the
    // end-of-run checks see the world as it is at `end`, the client still running.
    At(end, [this] {
      Finish();
      std::lock_guard lock(run_mu_);
      reached_end_ = true;
      run_cv_.notify_all();
    });
    const auto faketime = FindLibfaketime();
    if (!faketime.ok()) {
      result_.error = "/client: " + faketime.status().message();
      return;
    }
    char speed[32];
    std::snprintf(speed, sizeof speed, "%g", external_->time_scale);
    const char* preload = std::getenv("LD_PRELOAD");
    ProcessLaunch launch{.argv = external_->command, .working_dir = external_->working_dir};
    launch.env = {
        {"GENESYS_API_URL", url_},
        {"GENESYS_LOGIN_URL", url_},
        {"GENESYS_CLIENT_ID", external_->client_id},
        {"GENESYS_CLIENT_SECRET", external_->client_secret},
        {"GCSIM_CONTROL_URL", url_ + "/sim/v1"},
        {"LD_PRELOAD",
         *faketime + (preload != nullptr && *preload ? std::string(":") + preload : "")},
        // "@<epoch seconds> x<speed>": start at the simulation's start (moved by the client's
        // clock skew), run that fast. Seconds since the epoch, not a date, which libfaketime
        // would read in the child's time zone.
        {"FAKETIME_FMT", "%s"},
        {"FAKETIME", "@" +
                         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                            (t0_ + external_->clock_skew).time_since_epoch())
                                            .count()) +
                         " x" + speed},
        // Re-read the setting on every call instead of caching it for 10 s.
        {"FAKETIME_NO_CACHE", "1"},
        // Count from the instant libfaketime first starts in the process, the one the simulation
        // starts at (ClockStartWatch), not from its first time call, and let the programs it
        // starts count from there too.
        {"FAKETIME_DONT_RESET", "1"},
        // Python buffers a pipe's output, and a client stopped by SIGTERM would lose it.
        {"PYTHONUNBUFFERED", "1"}};
    launch.env.insert(launch.env.end(), external_->env.begin(), external_->env.end());
    ClockStartWatch watch;
    const TimePoint spawned = wall_.Now();
    auto process = ClientProcess::Start(launch, [this] {
      std::lock_guard lock(run_mu_);
      if (!client_ended_at_) client_ended_at_ = clock_.Now();
      run_cv_.notify_all();
    });
    result_.client = ClientReport{.command = Join(external_->command, " "),
                                  .time_scale = external_->time_scale};
    if (ThinkTime() > kLooseThinkTime) {
      notes_.push_back("safety judged loosely at this time scale: a drop up to " +
                       FormatDuration(ThinkTime()) +
                       " (20 ms of wall time) after the client's newest read of the call rests "
                       "on that read; a lower time scale judges it closer");
    }
    if (!process.ok()) {
      scaled_->Start();
      result_.error = "/client: " + process.status().message();
      return;
    }
    process_ = std::move(process).value();
    // The simulation starts when the client's clock does: a program can take a second to load
    // on a busy machine, two simulated minutes at x120.
    const std::optional<TimePoint> client_clock_start = watch.Wait(process_->pid(), spawned, wall_, [this] {
      return process_->exit().has_value();
    });
    if (!client_clock_start) {
      notes_.push_back("the client's clock start was not seen (libfaketime made no " +
                       ClockStartWatch::Name(process_->pid()) +
                       "): the simulation started without it, and the client's clock may run behind by "
                       "its start-up time");
    }
    scaled_->Start(client_clock_start);
    std::optional<TimePoint> ended_early;
    {
      std::unique_lock lock(run_mu_);
      run_cv_.wait(lock, [this] { return reached_end_ || client_ended_at_.has_value(); });
      if (!reached_end_) ended_early = client_ended_at_;
    }
    EndTimers();
    const ClientProcess::StopResult stop = process_->Stop(options_.stop_grace);
    ClientReport& report = *result_.client;
    report.exit = stop.exit.Describe();
    if (stop.exit.signal == 0) report.exit_code = stop.exit.code;
    else report.exit_signal = stop.exit.signal;
    report.out = process_->out();
    report.err = process_->err();
    if (ended_early) {
      std::string why = "/client: the client " + report.exit + " at " + Since(t0_, *ended_early) +
                        " of " + FormatDuration(scenario_.run_for) +
                        ", before the run's end: a client under test must run until it is stopped";
      if (stop.exit.code == 127) why += " (status 127: the command was not found)";
      if (stop.exit.code == 126) why += " (status 126: the command could not be run)";
      const std::string tail = Tail(report.err, kStderrLinesQuoted);
      why += tail.empty() ? "; it wrote nothing on stderr" : "; its stderr ends:\n" + tail;
      result_.error = std::move(why);
      if (!finished_) Finish();
    }
    if (stop.ignored_sigterm) {
      const std::string grace = FormatDuration(options_.stop_grace);
      result_.failures.push_back(
          {.expectation = "the client stops within " + grace + " (wall time) of SIGTERM",
           .pointer = "/client",
           .actual = "still running " + grace + " after SIGTERM: killed with SIGKILL"});
    }
  }

  // Jumps to the next reaper tick (or the end); timers due on the way fire in order.
  void Loop() {
    // The clock stops at kLatestTime (the loader refuses a runFor past it).
    const TimePoint end = std::min(t0_ + scenario_.run_for, kLatestTime);
    TimePoint next_tick = t0_;
    while (true) {
      manual_.AdvanceTo(reaper_ ? std::min(next_tick, end) : end);
      if (clock_.Now() >= end) break;
      if (reaper_ && clock_.Now() >= next_tick) {
        const TimePoint tick = clock_.Now();
        if (recorder_) recorder_->NoteTick(tick);
        // Every leg's audio up to the tick is out before the reaper listens.
        if (audiohook_ && !server_->SyncAudioHook(kAudioHookSyncLimit)) {
          result_.error = "the AudioHook streams did not reach the clock within " +
                          FormatDuration(kAudioHookSyncLimit) + " of wall time";
          break;
        }
        Record(reaper_->Step(reaper_clock_.Now()));
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
    if (event.kind == Kind::kFault || event.kind == Kind::kClearFaults) {
      std::string effect = what;
      if (event.kind == Kind::kFault) {
        effect += ": " + sim_->faults().Add(*core::ParseFault(event.fault, clock_.Now())).id;
      } else {
        sim_->faults().Clear();
      }
      sim_->journal().Append({.at = clock_.Now(), .kind = "timeline", .effect = std::move(effect)});
      return;
    }
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
      case Kind::kFault:
      case Kind::kClearFaults: break;  // handled above
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
      case Kind::kFault: return text + "fault " + event.fault.value("kind", "") + " added";
      case Kind::kClearFaults: return text + "faults cleared";
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
    // The server's port changes from run to run; the journal must not (same seed, same journal).
    for (size_t at = text.find(url_); !url_.empty() && at != std::string::npos; at = text.find(url_, at)) {
      text.replace(at, url_.size(), "gcsim");
    }
    if (level >= client::LogLevel::kWarn) {
      text = std::string(client::LogLevelName(level)) + ": " + text;
      std::lock_guard lock(drops_mu_);
      if (!entry.participant_id.empty()) reported_.insert(entry.participant_id);
      if (event == "stuck" && !entry.participant_id.empty()) reported_stuck_.insert(entry.participant_id);
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
    if (!core::IsEarlyDrop(entry, scenario_.safety.idle_timeout)) {
      if (silent_for < scenario_.safety.idle_timeout) return;  // heard only after its newest read
      // An external client's lateness comes from the journal: each drop it got accepted.
      if (external_ && entry.client_id == external_->client_id && entry.status >= 200 &&
          entry.status < 300) {
        lateness_.push_back(silent_for - scenario_.safety.idle_timeout);
      }
      return;
    }
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
    const std::string sent =
        request.method + " " + request.target.substr(0, request.target.find('?'));
    auto response = script_client_->Execute(std::move(request));
    script_statuses_[index] = response.ok() ? response->status : -1;
    if (!response.ok() && AnswerLost(sent)) return;
    if (!response.ok() && result_.error.empty()) {
      result_.error = step.pointer + ": the request could not be sent: " + response.status().message();
    }
  }

  // Whether a fault lost the answer to a request, "METHOD path", that was carried out: no
  // failure of the run, as the journal tells what the request did.
  bool AnswerLost(const std::string& request) {
    std::lock_guard lock(drops_mu_);
    const auto lost = lost_answers_.find(request);
    if (lost == lost_answers_.end()) return false;
    lost_answers_.erase(lost);
    return true;
  }

  // Lateness of each first drop: how long after the leg became idle (silent for the timeout).
  // Early drops are not judged here but from every drop request in the journal, whoever sent it.
  void Record(const client::StepReport& report) {
    const Duration timeout = scenario_.reaper->options.idle_timeout;
    std::vector<Duration> lateness;
    sim_->Read([&](const core::WorldView& world) {
      for (const client::DroppedLeg& drop : report.dropped) {
        if (drop.attempt != 1) continue;
        const core::Participant* leg = world.FindParticipant(drop.leg.participant_id);
        if (leg == nullptr) continue;
        // The drop's time is the reaper's: on the simulator's clock, less the skew.
        const TimePoint at = drop.at - scenario_.reaper->clock_skew;
        lateness.push_back(at - (world.Media(*leg).silent_since + timeout));
      }
    });
    std::lock_guard lock(drops_mu_);
    lateness_.insert(lateness_.end(), lateness.begin(), lateness.end());
  }

  // The run's figures as of now: a metric expectation with "at" is judged on these then.
  RunMetrics MetricsNow() const {
    RunMetrics m = result_.metrics;  // counted as they happen: script requests
    std::set<std::string> reported;
    std::vector<Duration> lateness;
    {
      std::lock_guard lock(drops_mu_);
      m.early_drops = early_.size();
      reported = reported_;
      lateness = lateness_;
    }
    const core::ClientTraffic traffic = sim_->journal().traffic().Client(ClientUnderTest());
    m.no_op_patches = traffic.no_op_patches;
    m.failed_requests = traffic.failed_requests;
    m.faults_injected = sim_->faults().TotalHits();
    if (reaper_ || external_) {
      if (reaper_) {
        const client::ReaperTotals totals = reaper_->totals();
        m.drops = totals.dropped;
        m.verified = totals.verified;
        m.stuck = totals.stuck;
        m.requests = totals.requests;
        m.too_many_requests = totals.rate_limited;
        m.retries = totals.retries;
      } else {
        // Only what the simulator saw: requests with the client's token or credentials.
        m.drops = traffic.drops;
        m.requests = traffic.requests;
        m.too_many_requests = traffic.too_many_requests;
      }
      m.requests_per_drop = m.drops ? static_cast<double>(m.requests) / m.drops : 0;
      const client::ReaperOptions r = JudgedSettings();
      const auto idle = sim_->SilentLegs(r.idle_timeout + r.poll_interval);
      m.idle_legs_left = std::count_if(
          idle->begin(), idle->end(), [&r](const core::SilentLeg& leg) { return MayDrop(r, leg); });
      m.idle_legs_unhandled = UnhandledIdleLegs(reported).size();
    }
    if (!lateness.empty()) {
      std::sort(lateness.begin(), lateness.end());
      m.max_lateness = lateness.back();
      m.p50_lateness = lateness[lateness.size() / 2];
    }
    return m;
  }

  // How long after an answer a drop still counts as made on it. The run's own clients send at
  // once on its manual clock (a script's steps are timed to the millisecond); a program under
  // test takes real time, which its speed turns into more.
  // Past this, a program's 20 ms of reaction covers enough simulated time to say so.
  static constexpr Duration kLooseThinkTime = std::chrono::seconds(5);
  Duration ThinkTime() const {
    if (!external_) return std::chrono::milliseconds(1);
    const auto wall = std::chrono::milliseconds(20) * external_->time_scale;
    return std::chrono::duration_cast<Duration>(wall);
  }

  // Legs idle long enough that a drop should have landed, that the client may drop, and that
  // the reaper neither tried nor said why not (`reported`). The signals source can only see legs
  // muted or held, from when they were. The audiohook source hears a leg from the tick after it
  // connected, and a hangover after its last word. A budget of R requests a minute lets a drop's
  // read, the drop and its check through only in 3/R of a minute, and the legs idle take their
  // turns: n of them in n times that.
  std::vector<core::SilentLeg> UnhandledIdleLegs(const std::set<std::string>& reported) const {
    const client::ReaperOptions r = JudgedSettings();
    const bool signals = reaper_ && scenario_.reaper->activity == "signals";
    const auto visible = [&](const core::SilentLeg& leg) {
      return MayDrop(r, leg) && (!signals || leg.muted || leg.held);
    };
    Duration latency{};
    int rate_limit = 0;
    sim_->Read([&](const core::WorldView& world) {
      latency = world.disconnect_latency();
      rate_limit = world.rate_limit();
    });
    // The legs idle now: those past the bound below are among them.
    const auto idle = sim_->SilentLegs(r.idle_timeout);
    if (rate_limit > 0) {
      const auto turns =
          std::max<std::ptrdiff_t>(1, std::count_if(idle->begin(), idle->end(), visible));
      latency += std::chrono::minutes(3) * turns / rate_limit;
    }
    if (audiohook_) latency += r.poll_interval + std::chrono::seconds(1);
    const Duration bound = r.idle_timeout + r.poll_interval + latency;
    std::vector<core::SilentLeg> unhandled;
    for (const core::SilentLeg& leg : *idle) {
      if (leg.media.silent_for < bound || !visible(leg) || reported.count(leg.participant_id)) {
        continue;
      }
      if (signals && clock_.Now() - MutedOrHeldSince(leg) < bound) continue;
      unhandled.push_back(leg);
    }
    return unhandled;
  }

  // When a muted or held leg's open mute or hold began (its silence, if later).
  TimePoint MutedOrHeldSince(const core::SilentLeg& leg) const {
    TimePoint since = leg.media.silent_since;
    sim_->Read([&](const core::WorldView& world) {
      const core::Participant* p = world.FindParticipant(leg.participant_id);
      if (p != nullptr && !p->segments.empty()) since = std::max(since, p->segments.back().start);
    });
    return since;
  }

  // "first 93ac6621-...: agent, silent since 11m30s808ms": which leg to look for in the journal.
  std::string DescribeUnhandled() const {
    std::set<std::string> reported;
    {
      std::lock_guard lock(drops_mu_);
      reported = reported_;
    }
    const std::vector<core::SilentLeg> unhandled = UnhandledIdleLegs(reported);
    if (unhandled.empty()) return "none now";
    const core::SilentLeg& leg = unhandled.front();
    return "first " + leg.participant_id + ": " + std::string(core::ToString(leg.purpose)) +
           ", silent since " + Since(t0_, leg.media.silent_since) +
           ", neither dropped nor reported by the client";
  }

  // The OAuth client whose requests are the client under test's.
  std::string ClientUnderTest() const {
    if (external_) return external_->client_id;
    if (scenario_.reaper) return scenario_.reaper->client_id;
    return scenario_.script ? scenario_.script->client_id : "";
  }

  // What idle legs left at the end are judged by: the bundled reaper's settings, which an
  // external client replacing it inherits; else the defaults at the safety idle timeout.
  client::ReaperOptions JudgedSettings() const {
    if (scenario_.reaper) return scenario_.reaper->options;
    client::ReaperOptions options;
    options.idle_timeout = scenario_.safety.idle_timeout;
    return options;
  }

  void Finish() {
    finished_ = true;
    result_.simulated = clock_.Now() - t0_;
    result_.metrics = MetricsNow();
    for (const Expectation& e : scenario_.expectations) {
      if (!e.at) Check(e);
    }
    CheckSafety();
    const std::string no_ops = core::DescribeNoOpPatches(sim_->journal().traffic().Client(ClientUnderTest()));
    if (!no_ops.empty()) {
      result_.findings.push_back(no_ops + ": only {\"state\":\"disconnected\"} drops a leg");
    }
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
        if (external_ && IsReaperOwnMetric(e.name)) {
          notes_.push_back(e.pointer + ": " + e.name +
                           " not judged: only the bundled reaper reports it, and an external "
                           "client is judged from the simulator's journal");
          return;
        }
        const double value = MetricValue(MetricsNow(), e.name);
        held = Within(e, value);
        actual = e.name + " = " + nlohmann::json(value).dump();
        if (e.name == "noOpPatches" && value > 0) {
          actual += " (" + core::DescribeNoOpPatches(sim_->journal().traffic().Client(ClientUnderTest())) + ")";
        }
        if (e.name == "idleLegsUnhandled" && value > 0) actual += " (" + DescribeUnhandled() + ")";
        std::lock_guard lock(drops_mu_);
        if (e.name == "earlyDrops" && !early_.empty()) actual += " (" + early_.front().text + ")";
        break;
      }
      case Kind::kScriptStatus: {
        const int status = script_statuses_[e.script_step];
        held = status == e.status;
        actual = status == 0    ? "never sent"
                 : status == -1 ? "no answer"
                                : "answered " + std::to_string(status);
        break;
      }
      case Kind::kUserRoutingStatus: {
        sim_->Read([&](const core::WorldView& world) {
          const core::User* user = world.FindUser(e.user);
          const std::string status = user ? core::ToString(core::RoutingStatusOf(world, *user).status) : "no such user";
          held = status == e.value;
          actual = "routing status " + status;
        });
        break;
      }
      case Kind::kQueueObservation: {
        core::QueueObservation seen;
        sim_->Read([&](const core::WorldView& world) { seen = core::ObserveQueue(world, e.queue); });
        const int value = static_cast<int>(e.name == "oInteracting" ? seen.interacting.size() : seen.waiting.size());
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
          conversation_id = leg->conversation_id();
          const std::string state = std::string(core::ToString(leg->state)) +
                                    (leg->end_time ? " at " + Since(t0_, *leg->end_time) : "") +
                                    (leg->disconnect_type == core::DisconnectType::kNone
                                         ? ""
                                         : std::string(" (disconnectType ") +
                                               core::ToString(leg->disconnect_type) + ")");
          switch (e.kind) {
            case Kind::kLegDisconnectedBetween: {
              const bool gone = !core::IsLive(leg->state) && leg->end_time;
              held = gone && *leg->end_time - t0_ >= e.from && *leg->end_time - t0_ <= e.to;
              actual = state;
              break;
            }
            case Kind::kLegNeverDropped:
              held = leg->disconnect_type != core::DisconnectType::kClient;
              actual = state;
              break;
            case Kind::kLegReportedStuck: {
              std::lock_guard lock(drops_mu_);
              held = reported_stuck_.count(leg_id) > 0;
              actual = held ? "reported stuck" : "never reported stuck; leg " + state;
              break;
            }
            case Kind::kLegState:
              held = e.value == core::ToString(leg->state);
              actual = state;
              break;
            case Kind::kLegWrapupCode: {
              const bool coded = leg->wrapup && !leg->wrapup->code.empty() &&
                                 !leg->wrapup->provisional.value_or(false);
              held = coded ? leg->wrapup->code == e.value : e.value.empty();
              actual = coded ? "wrap-up code " + leg->wrapup->code : std::string("no wrap-up code");
              actual += ", leg " + state;
              break;
            }
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

  struct Lifeline {
    std::mutex mu;
    std::condition_variable idle;  // running fell to 0
    bool alive = true;
    int running = 0;  // timers' callbacks under way (nested ones too)
  };

  const Scenario& scenario_;
  const RunOptions options_;
  const uint64_t seed_;
  const std::optional<ExternalClient> external_;
  RealClock wall_;  // how long the run took; the base of the scaled clock
  ManualClock manual_;  // the scenario's time, unless an external client runs
  std::unique_ptr<ScaledClock> scaled_;  // wall time sped up, for an external client
  Clock& clock_;  // the one of the two in use
  SkewedClock reaper_clock_;  // the bundled reaper's: clock_ moved by reaper.clockSkew
  const TimePoint t0_;
  std::shared_ptr<Lifeline> lifeline_ = std::make_shared<Lifeline>();
  std::mutex run_mu_;  // guards reached_end_, client_ended_at_
  std::condition_variable run_cv_;
  bool reached_end_ = false;
  std::optional<TimePoint> client_ended_at_;
  bool finished_ = false;  // Finish() ran
  std::string url_;
  std::ostream null_log_{nullptr};  // the logger's lines go to the journal instead
  client::Logger logger_;
  // Set when RunOptions::trace. Before the server, whose threads feed it until they stop.
  std::unique_ptr<TraceRecorder> recorder_;
  std::unique_ptr<core::Simulator> sim_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<client::HttpTransport> transport_;
  std::unique_ptr<client::ApiClient> reaper_client_;
  std::unique_ptr<client::ActivitySource> source_;
  bool audiohook_ = false;  // the source listens to gcsim's AudioHook streams
  std::unique_ptr<client::Reaper> reaper_;
  std::unique_ptr<client::ApiClient> script_client_;
  std::unique_ptr<ClientProcess> process_;  // an external client
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
  std::set<std::string> reported_stuck_;  // legs the reaper reported stuck
  std::multiset<std::string> lost_answers_;  // "METHOD path" of requests a fault cut off
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
          {"scriptRequests", m.script_requests},
          {"noOpPatches", m.no_op_patches},
          {"faultsInjected", m.faults_injected},
          {"failedRequests", m.failed_requests}};
}

Result<std::vector<std::string>> SplitCommand(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size() &&
                 (text[i + 1] == '"' || text[i + 1] == '\\')) {
        word += text[++i];  // inside double quotes, \" and \\ only
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) return InvalidArgumentError(std::string("a ") + quote + " quote is left open");
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return InvalidArgumentError("no program to run in it");
  return words;
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

bool RunsExternalClient(const Scenario& scenario, const RunOptions& options) {
  return ExternalClientOf(scenario, options).has_value();
}

ScenarioResult BrokenScenario(const std::string& path, const Status& error) {
  ScenarioResult result;
  result.path = path;
  result.name = path;
  result.error = error.message();
  return result;
}

}  // namespace gcsim::harness
