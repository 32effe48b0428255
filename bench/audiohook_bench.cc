// AudioHook Monitor at scale: how many concurrent streams one gcsim keeps in real time. For
// each size, gcsim on the real clock streams every person's leg of load-world bridges (five legs
// each) to the reaper's AudioHook server in the same process, which decodes every frame and
// runs its voice detection. The figure is the audio received per stream per wall second, next to
// its baseline, real time (1.0), and the CPU the whole process used (cores).
// Prints one line `AUDIOHOOK_JSON {...}` for bench/report.py.
//   bench_audiohook [--streams 100,500,1000,2000] [--seconds 5] | --smoke
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "gcsim/client/audiohook_source.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/strings.h"
#include "gcsim/http/server.h"

namespace gcsim::bench {
namespace {

constexpr int kLegsPerBridge = 5;  // LoadWorld's bridges: every leg a person's

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

nlohmann::json Measure(int streams, double seconds) {
  RealClock clock;
  const core::WorldSpec world = LoadWorld(std::max(1, streams / kLegsPerBridge));
  auto sim = core::Simulator::Create({.clock = &clock}, world).value();
  auto server = http::Server::Create({.simulator = sim.get(), .initial_world = world, .threads = 4}).value();
  server->Start().value();
  client::AudioHookActivitySource sink(clock);
  if (!sink.Start().ok()) return {};
  if (!server->StreamAudioHook({.url = "ws://127.0.0.1:" + std::to_string(sink.port()) + "/"}).ok()) {
    return {};
  }
  // Every session open and caught up, a second to settle (what the opening left behind is
  // caught up), then the window.
  server->SyncAudioHook(std::chrono::seconds(60));
  std::this_thread::sleep_for(std::chrono::duration<double>(std::min(1.0, seconds)));
  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  const client::AudioHookActivitySource::Stats before = sink.stats();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const client::AudioHookActivitySource::Stats after = sink.stats();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double cpu = CpuSeconds() - cpu_start;
  server->Stop();
  const double audio = std::chrono::duration<double>(after.audio - before.audio).count();
  const double sessions = static_cast<double>(after.sessions);
  return {{"streams", streams},
          {"sessions", after.sessions},
          {"realtime", sessions > 0 ? audio / (sessions * wall) : 0.0},
          {"cpu_cores", cpu / wall},
          {"wall_s", wall}};
}

}  // namespace
}  // namespace gcsim::bench

int main(int argc, char** argv) {
  std::vector<int> sizes = {100, 500, 1000, 2000};
  double seconds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") {
      sizes = {10};
      seconds = 0.3;
    } else if (arg == "--seconds" && i + 1 < argc) {
      const char* text = argv[++i];
      char* end = nullptr;
      seconds = std::strtod(text, &end);
      if (end == text || *end != '\0' || !(seconds > 0 && seconds <= 3600)) {
        std::cerr << "bench_audiohook: --seconds needs a number above 0, at most 3600\n";
        return 2;
      }
    } else if (arg == "--streams" && i + 1 < argc) {
      sizes.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) {
        const std::optional<long long> n = gcsim::ParseInteger(item);
        if (!n || *n < 1 || *n > 100'000) {
          std::cerr << "bench_audiohook: --streams needs whole numbers from 1 to 100000, "
                       "separated by commas\n";
          return 2;
        }
        sizes.push_back(static_cast<int>(*n));
      }
    } else {
      std::cerr << "usage: bench_audiohook [--streams 100,500,1000,2000] [--seconds 5] | --smoke\n";
      return 2;
    }
  }
  nlohmann::json out = {{"seconds", seconds}, {"sizes", nlohmann::json::array()}};
  for (const int streams : sizes) {
    nlohmann::json measured = gcsim::bench::Measure(streams, seconds);
    if (measured.empty()) {
      std::cerr << "bench_audiohook: could not start the streams at " << streams << "\n";
      return 1;
    }
    std::cerr << measured.dump() << "\n";
    out["sizes"].push_back(std::move(measured));
  }
  std::cout << "AUDIOHOOK_JSON " << out.dump() << std::endl;
  return 0;
}
