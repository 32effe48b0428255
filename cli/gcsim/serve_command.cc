#include "serve_command.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <thread>

#include "flags.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/time.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"
#include "gcsim/http/server.h"

namespace gcsim::cli {
namespace {

int Fail(const std::string& message, int status = 2) {
  std::cerr << "gcsim serve: " << message << std::endl;
  return status;
}

// A duration flag in whole seconds (cpp-httplib counts its timeouts in seconds), 1s to 1h.
CLI::Validator SecondsFlag() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        const auto parsed = ParseDuration(text);
        if (!parsed.ok()) return parsed.status().message();
        if (*parsed < std::chrono::seconds(1) || *parsed > std::chrono::hours(1) ||
            *parsed % std::chrono::seconds(1) != Duration::zero()) {
          return "must be whole seconds from 1s to 1h, not " + text;
        }
        return {};
      },
      "DURATION");
}

std::chrono::seconds Seconds(const std::string& text) {
  return std::chrono::duration_cast<std::chrono::seconds>(*ParseDuration(text));
}

// Each connection holds a socket: Debian's default soft limit of 1024 open files would refuse
// connections well below --max-connections.
void RaiseOpenFileLimit(size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, max_connections + 256);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = wanted;
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

void SetupServe(CLI::App& app, ServeOptions& options) {
  CLI::App* serve =
      app.add_subcommand("serve", "Serve the simulated Genesys API and /sim/v1 over HTTP");
  serve->add_option("--host", options.host, "Interface to bind")
      ->check([](const std::string& text) {
        return text.empty() ? std::string("must name an interface, such as 127.0.0.1")
                            : std::string();
      })
      ->capture_default_str();
  serve->add_option("--port", options.port, "Port; 0 picks a free one")
      ->check(WholeNumber(0, 65535))
      ->capture_default_str();
  serve->add_option("--world", options.world_file, "World JSON file (default: the demo world)")
      ->type_name("FILE");
  serve
      ->add_option("--profile", options.profile,
                   "How participant PATCHes answer (default: the world's)")
      ->check(CLI::IsMember({"observed", "documented", "strict"}));
  serve
      ->add_option("--clock", options.clock,
                   "real, or manual (advanced by POST /sim/v1/clock/advance)")
      ->check(CLI::IsMember({"real", "manual"}))
      ->capture_default_str();
  serve
      ->add_option("--time-scale", options.time_scale,
                   "With the real clock: run N times as fast from 2026-01-01T09:00:00Z (a client "
                   "keeps pace under libfaketime)")
      ->check(TimeScaleFlag());
  serve
      ->add_option("--idle-timeout", options.idle_timeout,
                   "What GET /sim/v1/metrics counts as an idle leg, an early drop and lateness")
      ->type_name("DURATION")
      ->check(DurationFlag())
      ->capture_default_str();
  serve
      ->add_option("--disconnect-latency", options.disconnect_latency,
                   "Delay before an accepted drop lands, e.g. 250ms (default: the world's)")
      ->type_name("DURATION")
      ->check(DurationFlag());
  serve
      ->add_option("--rate-limit", options.rate_limit,
                   "Requests per minute per client, 0 for unlimited (default: the world's)")
      ->check(WholeNumber(0, std::numeric_limits<int>::max()));
  serve->add_option("--seed", options.seed, "Seed for ids, tokens and generated worlds")
      ->check(WholeNumber(0))
      ->capture_default_str();
  serve
      ->add_option("--threads", options.threads,
                   "HTTP workers started up front; more start as connections arrive")
      ->check(WholeNumber(1, 4096))
      ->capture_default_str();
  serve
      ->add_option("--max-connections", options.max_connections,
                   "Connections served at once (one worker each); past it: 503 and close")
      ->check(WholeNumber(1, 65536))
      ->capture_default_str();
  serve
      ->add_option("--keep-alive-timeout", options.keep_alive_timeout,
                   "How long an idle keep-alive connection stays open")
      ->check(SecondsFlag())
      ->capture_default_str();
  serve
      ->add_option("--request-timeout", options.request_timeout,
                   "Time allowed to send a whole request; past it the connection is closed")
      ->check(SecondsFlag())
      ->capture_default_str();
  serve->add_option("--journal-limit", options.journal_limit, "Journal entries kept")
      ->check(WholeNumber(1))
      ->capture_default_str();
  serve
      ->add_option("--max-legs", options.limits.max_legs,
                   "Legs a world may hold (resets, API calls); beyond it requests answer 400")
      ->check(WholeNumber(1))
      ->capture_default_str();
  serve
      ->add_option("--max-conversations", options.limits.max_conversations,
                   "Conversations a world may hold; beyond it requests answer 400")
      ->check(WholeNumber(1))
      ->capture_default_str();
  serve
      ->add_option("--audiohook-url", options.audiohook.url,
                   "Stream each leg's audio to this AudioHook server, ws://HOST:PORT/PATH "
                   "(default: the world's audiohook setting)")
      ->type_name("URL");
  serve->add_option("--audiohook-api-key", options.audiohook.api_key,
                    "X-API-KEY sent to the --audiohook-url server");
}

int RunServe(const ServeOptions& options) {
  // Blocked before any thread starts, so that every thread inherits the mask and only sigwait()
  // below sees the signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  RaiseOpenFileLimit(options.max_connections);

  Result<core::WorldSpec> world = options.world_file.empty()
                                      ? Result<core::WorldSpec>(core::DemoWorld())
                                      : core::LoadWorldFile(options.world_file);
  if (!world.ok()) return Fail(world.status().message());

  core::SimulatorOptions sim_options{.seed = options.seed,
                                     .rate_limit = options.rate_limit,
                                     .journal_limit = options.journal_limit,
                                     .limits = options.limits};
  if (!options.profile.empty()) {
    sim_options.profile = core::ParseProfile(options.profile);
    if (!sim_options.profile) return Fail("--profile: unknown profile " + options.profile);
  }
  if (!options.disconnect_latency.empty()) {
    const auto latency = ParseDuration(options.disconnect_latency);
    if (!latency.ok()) return Fail("--disconnect-latency: " + latency.status().message());
    sim_options.disconnect_latency = *latency;
  }

  if (options.time_scale && options.clock == "manual") {
    return Fail("--time-scale needs the real clock (a manual clock moves only when told)");
  }
  const auto idle_timeout = ParseDuration(options.idle_timeout);
  if (!idle_timeout.ok()) return Fail("--idle-timeout: " + idle_timeout.status().message());

  // Declared in dependency order: the server goes first, the clocks last.
  RealClock real_clock;
  std::unique_ptr<Clock> clock;
  ManualClock* manual_clock = nullptr;
  if (options.clock == "manual") {
    auto manual = std::make_unique<ManualClock>();
    manual_clock = manual.get();
    clock = std::move(manual);
  } else if (options.time_scale) {
    clock = std::make_unique<ScaledClock>(real_clock, ScaledClockOptions{.factor = *options.time_scale});
  } else {
    clock = std::make_unique<RealClock>();
  }
  sim_options.clock = clock.get();
  auto sim = core::Simulator::Create(sim_options, *world);
  if (!sim.ok()) return Fail("bad world: " + sim.status().message());
  (*sim)->journal().traffic().set_idle_timeout(*idle_timeout);

  auto server = http::Server::Create({.simulator = sim->get(),
                                      .manual_clock = manual_clock,
                                      .initial_world = std::move(*world),
                                      .host = options.host,
                                      .port = options.port,
                                      .threads = options.threads,
                                      .max_connections = options.max_connections,
                                      .keep_alive_timeout = Seconds(options.keep_alive_timeout),
                                      .request_timeout = Seconds(options.request_timeout),
                                      .seed = options.seed,
                                      .audiohook = options.audiohook});
  if (!server.ok()) return Fail(server.status().message());
  const auto port = (*server)->Start();
  if (!port.ok()) return Fail(port.status().message(), 1);
  const bool ipv6 = options.host.find(':') != std::string::npos;
  std::cout << "listening on http://" << (ipv6 ? "[" + options.host + "]" : options.host) << ":"
            << *port << std::endl;
  if (options.time_scale) {
    // What a client needs to keep pace: libfaketime at the simulator's instant and speed.
    const auto now = std::chrono::floor<std::chrono::seconds>(clock->Now());
    std::cout << "time runs x" << *options.time_scale << " from " << FormatIso8601(kSimulationStart)
              << "; a client keeps pace with: FAKETIME_FMT=%s FAKETIME='@"
              << now.time_since_epoch().count() << " x" << *options.time_scale
              << "' LD_PRELOAD=<libfaketime.so.1> (the clock moves on meanwhile)" << std::endl;
  }

  int received = 0;
  sigwait(&stop_signals, &received);
  // Stop() closes every connection at once; should it still hang, a second signal ends it.
  std::thread([stop_signals] {
    int again = 0;
    sigwait(&stop_signals, &again);
    std::cerr << "gcsim serve: second signal, exiting now" << std::endl;
    std::_Exit(128 + again);
  }).detach();
  (*server)->Stop();
  return 0;
}

}  // namespace gcsim::cli
