// The live view's poll (GET /sim/v1/ui/view, one page of 25 conversations plus queues,
// phantom legs and the journal's tail) over loopback HTTP, next to the unpaged alternative a
// page could poll instead: GET /sim/v1/state, the whole world. Argument: live conversations
// (load-world bridges of five legs), with 100 phantom legs among them.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <map>
#include <memory>

#include "bench_util.h"
#include "gcsim/common/clock.h"
#include "gcsim/http/server.h"

namespace gcsim::bench {
namespace {

constexpr int kPhantomLegs = 100;

struct Served {
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<core::Simulator> sim;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<httplib::Client> client;
};

// One server per size, built on first use and kept for the whole program.
Served& ServedWorld(int bridges) {
  static std::map<int, Served> worlds;
  Served& served = worlds[bridges];
  if (served.server) return served;
  served.clock = std::make_unique<ManualClock>();
  const core::WorldSpec world = LoadWorld(bridges);
  served.sim = std::move(core::Simulator::Create({.clock = served.clock.get()}, world).value());
  served.server = std::move(http::Server::Create({.simulator = served.sim.get(),
                                                  .manual_clock = served.clock.get(),
                                                  .initial_world = world})
                                .value());
  const int port = served.server->Start().value();
  served.client = std::make_unique<httplib::Client>("127.0.0.1", port);
  served.client->set_keep_alive(true);
  served.client->set_tcp_nodelay(true);
  served.clock->Advance(std::chrono::minutes(10));
  // The seed's naive PATCH on a leg of every tenth bridge or so: phantom legs to find and show.
  const auto token = served.client->Post("/oauth/token", {{"Authorization", "Basic YmVuY2gtY2xpZW50OmJlbmNoLXNlY3JldA=="}},
                                         "grant_type=client_credentials",
                                         "application/x-www-form-urlencoded");
  const std::string bearer = std::string("Bearer ").append(
      nlohmann::json::parse(token->body)["access_token"].get<std::string>());
  const std::vector<LegRef> legs = AllLegs(*served.sim);
  for (int i = 0; i < kPhantomLegs && i * 50 + 2 < static_cast<int>(legs.size()); ++i) {
    const LegRef& leg = legs[static_cast<size_t>(i) * 50 + 2];
    served.client->Patch(std::string("/api/v2/conversations/")
                             .append(leg.conversation_id)
                             .append("/participants/")
                             .append(leg.participant_id),
                         {{"Authorization", bearer}},
                         R"({"dispositionCode":"no-answer","dropReason":"timeout"})",
                         "application/json");
  }
  return served;
}

void Poll(benchmark::State& state, const std::string& path) {
  Served& served = ServedWorld(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    auto response = served.client->Get(path);
    if (!response || response->status != 200) {
      state.SkipWithError("request failed");
      return;
    }
    bytes = response->body.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_Ui_View(benchmark::State& state) { Poll(state, "/sim/v1/ui/view"); }
BENCHMARK(BM_Ui_View)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Ui_ViewPhantomOnly(benchmark::State& state) {
  Poll(state, "/sim/v1/ui/view?filter=phantom");
}
BENCHMARK(BM_Ui_ViewPhantomOnly)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

// The baseline: the whole world, as a page without paging would have to poll it.
void BM_Http_State(benchmark::State& state) { Poll(state, "/sim/v1/state"); }
BENCHMARK(BM_Http_State)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gcsim::bench

BENCHMARK_MAIN();
