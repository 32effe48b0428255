#include "reaper_command.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <thread>
#include <nlohmann/json.hpp>

#include "gcsim/client/activity_source.h"
#include "gcsim/client/audiohook_source.h"
#include "gcsim/client/notifications_source.h"
#include "gcsim/client/logger.h"
#include "gcsim/client/transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/strings.h"

namespace gcsim::cli {
namespace {

using client::Logger;
using client::Reaper;
using client::ReaperTotals;

// Durations as people write them ("10m", "15s"); which values make sense is the reaper's
// own rule (client::ValidateReaperOptions, checked once every flag is read).
CLI::Option* AddDuration(CLI::App& app, const std::string& name, Duration& target,
                         const std::string& help) {
  const CLI::Validator positive(
      [](std::string& text) -> std::string {
        try {
          Result<Duration> parsed = ParseDuration(text);
          if (!parsed.ok()) return parsed.status().message();
          return {};
        } catch (const std::exception& e) {  // a number too large for the parser, say
          return "bad duration \"" + text + "\": " + e.what();
        }
      },
      "");
  return app
      .add_option_function<std::string>(
          name, [&target](const std::string& text) { target = *ParseDuration(text); }, help)
      ->check(positive)
      ->type_name("DURATION")
      ->default_str(FormatDuration(target));
}

const CLI::Validator kUrl(
    [](std::string& text) -> std::string {
      Result<client::BaseUrl> url = client::ParseBaseUrl(text);
      return url.ok() ? std::string() : url.status().message();
    },
    "URL");

// "HOST:PORT" -> host and port; nullopt when it is not that (a port of 0 to 65535).
std::optional<std::pair<std::string, int>> SplitHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() ||
      colon + 6 < text.size()) {
    return std::nullopt;
  }
  int port = 0;
  for (const char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return std::nullopt;
  return std::pair{text.substr(0, colon), port};
}

const CLI::Validator kHostPort(
    [](std::string& text) -> std::string {
      return SplitHostPort(text) ? std::string()
                                 : "expected HOST:PORT (a port of 0 to 65535), got " + text;
    },
    "HOST:PORT");

// Once the daemon stops, or --once ends: the numbers an operator wants.
void PrintSummary(std::ostream& out, const ReaperTotals& totals, size_t unverified,
                  client::LogFormat format) {
  if (format == client::LogFormat::kJson) {
    out << nlohmann::ordered_json{{"event", "summary"},
                                  {"legs_seen", totals.legs_seen},
                                  {"dropped", totals.dropped},
                                  {"verified", totals.verified},
                                  {"stuck", totals.stuck},
                                  {"unverified", unverified},
                                  {"errors", totals.errors},
                                  {"failed_attempts", totals.failed_attempts},
                                  {"failed_requests", totals.failed_requests},
                                  {"max_lateness", FormatDuration(totals.max_lateness)},
                                  {"max_lateness_ms", totals.max_lateness.count()},
                                  {"requests", totals.requests},
                                  {"429s", totals.rate_limited},
                                  {"retries", totals.retries}}
               .dump()
        << std::endl;
    return;
  }
  out << "reaper summary: legs seen " << totals.legs_seen << ", dropped " << totals.dropped
      << ", verified " << totals.verified << ", stuck " << totals.stuck << ", unverified "
      << unverified << ", errors " << totals.errors << ", failed attempts "
      << totals.failed_attempts << ", failed requests " << totals.failed_requests
      << ", worst lateness " << FormatDuration(totals.max_lateness) << ", requests "
      << totals.requests << ", 429s " << totals.rate_limited << ", retries " << totals.retries
      << std::endl;
}

// One tick, then re-checks (no new drops, no retries) until its drops are verified, the
// verify timeout has passed or a stop is requested. Returns the legs still unverified.
size_t RunOnce(Reaper& reaper, Clock& clock, std::stop_token stop) {
  reaper.Step(clock.Now());
  const TimePoint deadline = clock.Now() + reaper.options().verify_timeout;
  // gcsim's default disconnect latency is 250 ms: look soon, then back off.
  Duration recheck = std::chrono::milliseconds(250);
  while (reaper.pending() > 0 && clock.Now() < deadline) {
    if (!clock.WaitUntil(std::min(clock.Now() + recheck, deadline), stop)) break;
    reaper.VerifyPending(clock.Now());
    recheck = std::min<Duration>(recheck * 2, std::chrono::seconds(2));
  }
  return reaper.pending();
}

// Blocks SIGINT and SIGTERM for the calling thread and every thread it starts later: call it
// before any thread starts, so that only StopOnSignal takes them.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Takes the blocked `signals` on a thread of its own: the first calls `on_stop` (which must
// make the run end promptly, summary included); a second exits at once.
class StopOnSignal {
 public:
  StopOnSignal(sigset_t signals, std::function<void(int)> on_stop)
      : signals_(signals), thread_([this, on_stop = std::move(on_stop)](std::stop_token done) {
          Watch(done, on_stop);
        }) {}

 private:
  void Watch(std::stop_token done, const std::function<void(int)>& on_stop) {
    // Polled, so that the watcher also ends when the run ends on its own.
    const timespec poll{.tv_sec = 0, .tv_nsec = 100'000'000};
    bool stopping = false;
    while (!done.stop_requested()) {
      const int signal_number = sigtimedwait(&signals_, nullptr, &poll);
      if (signal_number <= 0) continue;
      if (stopping) {
        std::cerr << "reaper: second signal, exiting now" << std::endl;
        std::_Exit(128 + signal_number);
      }
      stopping = true;
      on_stop(signal_number);
    }
  }

  sigset_t signals_;
  std::jthread thread_;  // last: starts once signals_ is set
};

// Blocks until `stop` is requested.
void WaitForStop(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any stopped;
  std::unique_lock lock(mu);
  stopped.wait(lock, stop, [] { return false; });
}

}  // namespace

std::shared_ptr<ReaperCommandOptions> SetupReaper(CLI::App& app) {
  auto options = std::make_shared<ReaperCommandOptions>();
  app.add_option(
         "--api-url", options->api.api_url,
         "Genesys API base URL: https://api.mypurecloud.com, or gcsim's http://127.0.0.1:PORT")
      ->required()
      ->check(kUrl);
  app.add_option("--login-url", options->api.login_url,
                 "OAuth base URL (default: the API URL with api. -> login., or the API URL itself)")
      ->check(kUrl);
  app.add_option("--client-id", options->api.client_id, "OAuth client id")
      ->envname("GENESYS_CLIENT_ID")
      ->required();
  app.add_option("--client-secret", options->api.client_secret, "OAuth client secret")
      ->envname("GENESYS_CLIENT_SECRET")
      ->required();
  AddDuration(app, "--idle-timeout", options->reaper.idle_timeout,
              "Drop legs silent at least this long");
  AddDuration(app, "--poll-interval", options->reaper.poll_interval, "Time between ticks");
  app.add_option("--activity", options->activity,
                 "Silence source: sim (gcsim media view), signals (mute/hold in analytics), "
                 "notifications (transcription events on a notifications channel) or audiohook "
                 "(voice activity in the audio an AudioHook Monitor streams to --audiohook-listen)")
      ->check(CLI::IsMember({"sim", "signals", "notifications", "audiohook"}))
      ->capture_default_str();
  app.add_option("--audiohook-listen", options->audiohook_listen,
                 "HOST:PORT the audiohook source's AudioHook server listens on (port 0: any)")
      ->check(kHostPort)
      ->capture_default_str();
  app.add_option("--audiohook-api-key", options->audiohook_api_key,
                 "X-API-KEY the AudioHook server wants of each connection (default: any)")
      ->envname("AUDIOHOOK_API_KEY");
  app.add_option("--purposes", options->reaper.purposes, "Comma-separated purposes to drop")
      ->delimiter(',')
      ->check(CLI::IsMember(client::kAllPurposes))
      ->capture_default_str();
  AddDuration(app, "--verify-timeout", options->reaper.verify_timeout,
              "Drop again when a dropped leg is still up this long after the drop");
  app.add_option("--max-attempts", options->reaper.max_attempts,
                 "Attempts per leg (drops, and tries that failed on a 429, 5xx or no answer) "
                 "before it is reported stuck")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--concurrency", options->reaper.concurrency,
                 "A tick's reads of conversations sent this many at once, each over a connection "
                 "of its own (drops still go one at a time)")
      ->check(CLI::Range(1, client::kMaxConcurrency))
      ->capture_default_str();
  app.add_flag("--dry-run", options->reaper.dry_run, "Log which legs would be dropped; drop none");
  app.add_flag("--once", options->once,
               "One tick, wait for its drops to be verified, print the summary and exit");
  app.add_option("--log-format", options->log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_flag("-v,--verbose", options->verbose, "Log every request, skip and tick");
  // The rules scenario files share: "idleTimeout" -> "--idle-timeout: must be more than 0s".
  app.callback([options] {
    const Status valid = client::ValidateReaperOptions(options->reaper);
    if (valid.ok()) return;
    std::string flag = "--";
    for (const char c : valid.reason()) {
      if (std::isupper(static_cast<unsigned char>(c))) flag += '-';
      flag += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    throw CLI::ValidationError(flag, valid.message());
  });
  return options;
}

std::optional<int> ParseReaperArgs(CLI::App& app, int argc, const char* const* argv,
                                   std::ostream& out, std::ostream& err) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; every usage error exits 2, saying why in one line.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e, out, err);
    }
    err << "reaper: " << e.what() << " (see reaper --help)" << std::endl;
    return kExitUsage;
  } catch (const std::exception& e) {
    // A flag's own conversion threw (a value out of range, say): still a bad command line.
    err << "reaper: bad command line: " << e.what() << std::endl;
    return kExitUsage;
  }
}

int ReaperMain(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  // Named, so that --help says "reaper" rather than the path it was started by.
  CLI::App app{"reaper: drops Genesys Cloud conference legs that have been silent too long",
               "reaper"};
  app.set_version_flag("--version", "reaper (gcsim) " GCSIM_VERSION);
  const auto options = SetupReaper(app);
  if (const auto exit_status = ParseReaperArgs(app, argc, argv, out, err)) return *exit_status;
  try {
    return RunReaper(*options);
  } catch (const std::exception& e) {
    err << "reaper: could not go on: " << e.what() << std::endl;
  } catch (...) {
    err << "reaper: could not go on: unknown error" << std::endl;
  }
  return kExitFailedToRun;
}

int RunReaper(const ReaperCommandOptions& options) {
  client::LogFormat format = client::LogFormat::kText;
  client::ParseLogFormat(options.log_format, format);
  const sigset_t stop_signals = BlockStopSignals();
  RealClock clock;
  std::stop_source stopping;
  Logger logger(
      std::cerr, clock,
      {.format = format,
       .min_level = options.verbose ? client::LogLevel::kDebug : client::LogLevel::kInfo});
  client::HttpTransport transport;
  client::ApiClient api(options.api, clock, transport, &logger);
  std::unique_ptr<client::ActivitySource> source;
  if (options.activity == "signals") {
    source = std::make_unique<client::SignalsActivitySource>(api);
  } else if (options.activity == "notifications") {
    source = std::make_unique<client::NotificationsActivitySource>(api, clock);
  } else if (options.activity == "audiohook") {
    const auto [host, port] = *SplitHostPort(options.audiohook_listen);
    auto audiohook = std::make_unique<client::AudioHookActivitySource>(
        clock,
        client::AudioHookActivitySourceOptions{
            .listen_host = host, .listen_port = port, .api_key = options.audiohook_api_key});
    if (Status listening = audiohook->Start(); !listening.ok()) {
      std::cerr << "reaper: " << listening.message() << std::endl;
      return kExitFailedToRun;
    }
    logger.Info("audiohook server listening",
                {{"url", Join({"ws://", host, ":", std::to_string(audiohook->port()), "/"}, "")}});
    source = std::move(audiohook);
  } else {
    source = std::make_unique<client::SimActivitySource>(api);
  }
  Reaper reaper(options.reaper, api, *source, clock, logger);
  // A stop ends the client's waits and requests in flight, so that even a tick waiting out a
  // Retry-After or a request to a hung server ends within a moment.
  StopOnSignal on_signal(stop_signals, [&](int signal_number) {
    logger.Info("stopping", {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}});
    api.Stop();
    stopping.request_stop();
  });

  std::string purposes;
  for (const std::string& p : options.reaper.purposes)
    purposes += (purposes.empty() ? "" : ",") + p;
  logger.Info("start", {{"api_url", options.api.api_url},
                        {"login_url", api.login_url()},
                        {"activity", source->name()},
                        {"idle_timeout", FormatDuration(options.reaper.idle_timeout)},
                        {"purposes", purposes},
                        {"dry_run", options.reaper.dry_run ? "true" : "false"},
                        {"mode", options.once ? "once" : "daemon"}});

  size_t unverified = 0;
  if (options.once) {
    unverified = RunOnce(reaper, clock, stopping.get_token());
  } else {
    client::ReaperDaemon daemon(reaper);
    WaitForStop(stopping.get_token());
    daemon.Stop();
    unverified = reaper.pending();
  }
  const ReaperTotals totals = reaper.totals();
  PrintSummary(std::cout, totals, unverified, format);
  return ReaperExitStatus(totals, unverified);
}

int ReaperExitStatus(const ReaperTotals& totals, size_t unverified) {
  if (totals.stuck > 0 || totals.errors > 0) return kExitStuckOrFailed;
  if (unverified > 0) return kExitUnverified;
  return kExitOk;
}

}  // namespace gcsim::cli
