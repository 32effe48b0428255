// The simulator core on a ManualClock, no HTTP: what one API operation costs as the world grows
// (lookups by id must stay flat) and what the listings cost (they scan, so linear per leg).
// Sizes are legs: 10k, 100k, 1M (bridges of five legs). The argument of every benchmark is its
// world size in legs, so `--benchmark_filter=/10000$` runs the small sizes only.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analytics.h"  // private to gcsim_server: the details query without HTTP around it
#include "bench_util.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/ids.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"
#include "render.h"  // private to gcsim_server: the JSON a GET answers with
#include "requests.h"  // private to gcsim_server: request bodies as the core takes them
#include "silent_listing.h"  // private to gcsim_core: the silence index and the walk it replaced
#include "world_builder.h"   // private to gcsim_core: a world without a Simulator around it
#include "world_state.h"

namespace gcsim::bench {
namespace {

using core::WorldState;
using nlohmann::json;

constexpr int64_t kSmall = 10'000;
constexpr int64_t kLarge = 1'000'000;
constexpr auto kIdleTimeout = std::chrono::minutes(10);

// One world per size, built once and shared by the read-only benchmarks (building 1M legs
// takes seconds). The clock sits ten minutes in, so a fifth of the legs are idle.
struct Fixture {
  ManualClock clock;
  std::unique_ptr<core::Simulator> sim;
  std::vector<LegRef> legs;
  size_t next = 0;  // the mutating benchmarks' cursor into `legs`
};

Fixture& World(int64_t legs) {
  static std::map<int64_t, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[legs];
  if (!slot) {
    slot = std::make_unique<Fixture>();
    auto sim = core::Simulator::Create({.clock = &slot->clock},
                                       LoadWorld(static_cast<int>(legs / kLegsPerBridge)));
    if (!sim.ok()) std::abort();
    slot->sim = std::move(sim).value();
    slot->legs = AllLegs(*slot->sim);
    slot->clock.Advance(kIdleTimeout);
  }
  return *slot;
}

const core::Caller kCaller{.client_id = kClientId};

void SetSize(benchmark::State& state, int64_t legs) {
  state.SetComplexityN(legs);
  state.counters["legs"] = static_cast<double>(legs);
}

// --- per-operation: flat in the world's size ------------------------------------------------

// What GET /api/v2/conversations/{cid} asks of the core: find it, read each leg's media.
void BM_Core_GetConversation(benchmark::State& state) {
  Fixture& f = World(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    const LegRef& ref = f.legs[(i += 7919) % f.legs.size()];  // a prime stride: no cache reuse
    f.sim->Read([&](const core::WorldView& world) {
      const core::Conversation* conv = world.FindConversation(ref.conversation_id);
      for (const core::Participant* leg : conv->participants) {
        benchmark::DoNotOptimize(world.Media(*leg));
      }
    });
  }
  SetSize(state, state.range(0));
}
BENCHMARK(BM_Core_GetConversation)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::o1);

// The same GET with the JSON the HTTP layer renders and serialises: what a request costs
// before any socket work.
void BM_Http_RenderConversation(benchmark::State& state) {
  Fixture& f = World(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    const LegRef& ref = f.legs[(i += 7919) % f.legs.size()];
    f.sim->Read([&](const core::WorldView& world) {
      benchmark::DoNotOptimize(
          http::ConversationText(*world.FindConversation(ref.conversation_id)));
    });
  }
  SetSize(state, state.range(0));
}
BENCHMARK(BM_Http_RenderConversation)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::o1);

// The seed's naive PATCH: unknown fields only, so it changes nothing (204 in `observed`).
void BM_Core_UpdateParticipantNoOp(benchmark::State& state) {
  Fixture& f = World(state.range(0));
  const json body = {{"dispositionCode", "no-answer"}, {"dropReason", "timeout"}};
  size_t i = 0;
  for (auto _ : state) {
    const LegRef& ref = f.legs[(i += 7919) % f.legs.size()];
    // Read as the HTTP layer reads it, so the figure covers the same work as a request.
    benchmark::DoNotOptimize(f.sim->UpdateParticipant(
        ref.conversation_id, ref.participant_id, http::ReadMediaParticipantRequest(body), kCaller,
        core::ParticipantRoute::kGeneric));
  }
  SetSize(state, state.range(0));
}
BENCHMARK(BM_Core_UpdateParticipantNoOp)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::o1);

// The baseline of a drop's timer: one Schedule and one Advance that fires it, on a clock that
// holds as many other timers as the world has legs (the queue is ordered by time).
void BM_Clock_ScheduleAndFire(benchmark::State& state) {
  ManualClock clock;
  for (int64_t i = 0; i < state.range(0); ++i) {
    clock.Schedule(clock.Now() + std::chrono::hours(24) + Duration(i), [] {});
  }
  for (auto _ : state) {
    clock.Schedule(clock.Now() + std::chrono::milliseconds(250), [] {});
    clock.Advance(std::chrono::milliseconds(250));
  }
  SetSize(state, state.range(0));
}
BENCHMARK(BM_Clock_ScheduleAndFire)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::o1);

// --- listings: linear in the world's size ---------------------------------------------------

// The bulk media view behind GET /sim/v1/media?silentFor=10m: a fifth of the legs match.
void BM_Core_SilentLegs(benchmark::State& state) {
  Fixture& f = World(state.range(0));
  size_t found = 0;
  for (auto _ : state) {
    f.clock.Advance(std::chrono::milliseconds(1));  // a new instant: a fresh scan, as each tick
    const auto legs = f.sim->SilentLegs(kIdleTimeout);
    found = legs->size();
    benchmark::DoNotOptimize(legs->data());
  }
  SetSize(state, state.range(0));
  state.counters["matched"] = static_cast<double>(found);
}
BENCHMARK(BM_Core_SilentLegs)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::oN)
    ->Unit(benchmark::kMillisecond);

// --- the silence index: a listing costs the legs it lists ---------------------------------

// A world of `legs` legs where 1% never talk and the rest talk 30s of every minute, ten
// minutes in: what a reaper's tick asks of a large, mostly busy org.
struct OnePercentIdle {
  WorldState world;
  TimePoint now;
};

OnePercentIdle& OnePercentIdleWorld(int64_t legs) {
  static std::map<int64_t, std::unique_ptr<OnePercentIdle>> cache;
  auto& slot = cache[legs];
  if (!slot) {
    slot = std::make_unique<OnePercentIdle>();
    core::WorldSpec spec = LoadWorld(static_cast<int>(legs / kLegsPerBridge));
    spec.generated[0].silent_fraction = 0.01;
    IdGenerator ids(1);
    if (!core::BuildWorld(spec, slot->world, ids, kSimulationStart, 1).ok()) std::abort();
    slot->now = kSimulationStart + kIdleTimeout;
  }
  return *slot;
}

// Writes over twice the last-level cache, so that what comes next finds none of the world in it.
void EvictCaches() {
  static std::vector<char> sweep(64u << 20);
  for (size_t i = 0; i < sweep.size(); i += 64) sweep[i] = static_cast<char>(sweep[i] + 1);
  benchmark::ClobberMemory();
}

// Listings run once a reaper tick, seconds apart, with other work between them: they meet a
// cold cache. Timed warm, a small world's listing stays in the cache from one iteration to the
// next and a large one's does not, so comparing sizes measured the cache more than the listing.
// `cold` evicts the caches (untimed) before each iteration; both are reported.
void ColdCache(benchmark::State& state, bool cold) {
  if (!cold) return;
  state.PauseTiming();
  EvictCaches();
  state.ResumeTiming();
}
constexpr int kColdIterations = 30;  // each eviction takes ~10 ms of untimed wall time

// The index's listing (what SilentLegs serves)...
void BM_SilenceIndex_OnePercentIdle(benchmark::State& state, bool cold) {
  OnePercentIdle& f = OnePercentIdleWorld(state.range(0));
  size_t found = 0;
  for (auto _ : state) {
    ColdCache(state, cold);
    const auto legs = f.world.silence.List(f.world.leg_storage, f.now, kIdleTimeout);
    found = legs.size();
    benchmark::DoNotOptimize(legs.data());
  }
  SetSize(state, state.range(0));
  state.counters["matched"] = static_cast<double>(found);
}
BENCHMARK_CAPTURE(BM_SilenceIndex_OnePercentIdle, warm, false)
    ->Arg(kSmall)
    ->Arg(100'000)
    ->Arg(kLarge)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SilenceIndex_OnePercentIdle, cold, true)
    ->Arg(kSmall)
    ->Arg(100'000)
    ->Arg(kLarge)
    ->Iterations(kColdIterations)
    ->Unit(benchmark::kMicrosecond);

// ...and its baseline: the walk over every leg it replaced, on the same world.
void BM_SilenceWalk_OnePercentIdle(benchmark::State& state) {
  OnePercentIdle& f = OnePercentIdleWorld(state.range(0));
  size_t found = 0;
  for (auto _ : state) {
    const auto legs = core::ListSilentLegs(f.world.leg_storage, f.now, kIdleTimeout);
    found = legs.size();
    benchmark::DoNotOptimize(legs.data());
  }
  SetSize(state, state.range(0));
  state.counters["matched"] = static_cast<double>(found);
}
BENCHMARK(BM_SilenceWalk_OnePercentIdle)->Arg(kSmall)->Arg(100'000)->Arg(kLarge)->Unit(benchmark::kMicrosecond);

// A whole listing the way GET /sim/v1/media serves it to the reaper (pages of 1000, the
// client's page size): every page asks for SilentLegs and slices it. The pages of one instant
// share one scan, so a listing costs one scan, not pages x scan (which was quadratic).
void BM_Core_SilentLegsPaged(benchmark::State& state, bool cold) {
  Fixture& f = World(state.range(0));
  constexpr size_t kPageSize = 1000;
  size_t pages = 0;
  for (auto _ : state) {
    pages = 0;
    ColdCache(state, cold);
    f.clock.Advance(std::chrono::milliseconds(1));  // one tick's listing
    for (size_t first = 0;; first += kPageSize) {
      const auto listing = f.sim->SilentLegs(kIdleTimeout);
      const std::vector<core::SilentLeg>& legs = *listing;
      ++pages;
      std::vector<core::SilentLeg> page(
          legs.begin() + static_cast<std::ptrdiff_t>(std::min(first, legs.size())),
          legs.begin() + static_cast<std::ptrdiff_t>(std::min(first + kPageSize, legs.size())));
      benchmark::DoNotOptimize(page.data());
      if (first + kPageSize >= legs.size()) break;
    }
  }
  SetSize(state, state.range(0));
  state.counters["pages"] = static_cast<double>(pages);
}
BENCHMARK_CAPTURE(BM_Core_SilentLegsPaged, warm, false)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::oN)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Core_SilentLegsPaged, cold, true)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Iterations(kColdIterations)
    ->Unit(benchmark::kMillisecond);

// The reaper's analytics details query: live conversations with an open segment, a page of 100.
json LiveConversationsQuery(int page_number) {
  const auto not_exists = [](const char* dimension) {
    return json::array({{{"type", "and"},
                         {"predicates", json::array({{{"type", "dimension"},
                                                      {"dimension", dimension},
                                                      {"operator", "notExists"}}})}}});
  };
  return {{"interval", "2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z"},
          {"order", "asc"},
          {"orderBy", "conversationStart"},
          {"paging", {{"pageSize", 100}, {"pageNumber", page_number}}},
          {"conversationFilters", not_exists("conversationEnd")},
          {"segmentFilters", not_exists("segmentEnd")}};
}

// Asks `query` of `f`'s world on every iteration, with `pages` (if any) kept between them.
void TimeDetailsQuery(benchmark::State& state, const Fixture& f, const json& query,
                      core::DetailQueryCache* pages) {
  for (auto _ : state) {
    auto page = http::QueryConversationDetails(*f.sim, query, {}, pages);
    if (!page.ok()) state.SkipWithError(page.status().message().c_str());
    benchmark::DoNotOptimize(page);
  }
  SetSize(state, state.range(0));
}

// Its first page: it scans every conversation to count totalHits.
void BM_Analytics_DetailsQuery(benchmark::State& state) {
  TimeDetailsQuery(state, World(state.range(0)), LiveConversationsQuery(1), nullptr);
}
BENCHMARK(BM_Analytics_DetailsQuery)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::oN)
    ->Unit(benchmark::kMillisecond);

// A later page, as gcsim serves it (the first page's matches kept): what each of the signals
// source's pages after the first costs. Flat in the world: it renders its 100 conversations.
void BM_Analytics_DetailsQueryLaterPage(benchmark::State& state) {
  Fixture& f = World(state.range(0));
  core::DetailQueryCache pages;
  if (!http::QueryConversationDetails(*f.sim, LiveConversationsQuery(1), {}, &pages).ok()) {
    state.SkipWithError("the first page failed");
  }
  TimeDetailsQuery(state, f, LiveConversationsQuery(10), &pages);
}
BENCHMARK(BM_Analytics_DetailsQueryLaterPage)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Unit(benchmark::kMicrosecond);

// The dashboard's queue observation: a scan of every live conversation.
void BM_Core_ObserveQueue(benchmark::State& state, bool cold) {
  Fixture& f = World(state.range(0));
  for (auto _ : state) {
    ColdCache(state, cold);
    f.sim->Read([&](const core::WorldView& world) {
      benchmark::DoNotOptimize(core::ObserveQueue(world, ""));
    });
  }
  SetSize(state, state.range(0));
}
BENCHMARK_CAPTURE(BM_Core_ObserveQueue, warm, false)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::oN)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Core_ObserveQueue, cold, true)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Iterations(kColdIterations)
    ->Unit(benchmark::kMillisecond);

// --- drops (mutate the shared worlds, so they run after every reader above) ------------------

// A drop from accept to effect: PATCH {"state":"disconnected"} and the clock advance that lands
// it. Three of each bridge's five legs are dropped, so no conversation ends; a world that runs
// out of legs is rebuilt off the clock.
void BM_Core_DropAndTimer(benchmark::State& state) {
  Fixture& f = World(state.range(0));
  const json body = {{"state", "disconnected"}};
  for (auto _ : state) {
    if (f.next >= f.legs.size()) {
      state.PauseTiming();
      if (!f.sim->Reset(LoadWorld(static_cast<int>(state.range(0) / kLegsPerBridge))).ok())
        std::abort();
      f.legs = AllLegs(*f.sim);
      f.next = 0;
      state.ResumeTiming();
    }
    const LegRef& ref = f.legs[f.next];
    f.next += (f.next % kLegsPerBridge == 2) ? 3 : 1;  // legs 0, 1, 2 of each bridge
    const core::UpdateOutcome out =
        f.sim->UpdateParticipant(ref.conversation_id, ref.participant_id,
                                 http::ReadMediaParticipantRequest(body), kCaller,
                                 core::ParticipantRoute::kGeneric);
    if (out.http_status != 202) state.SkipWithError(out.effect_text.c_str());
    f.clock.Advance(std::chrono::milliseconds(250));
  }
  SetSize(state, state.range(0));
}
BENCHMARK(BM_Core_DropAndTimer)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::o1);

// --- loading worlds -------------------------------------------------------------------------

// A world file that lists every conversation and leg with its id, as a user writes one.
const std::string& WorldText(int64_t legs) {
  static std::map<int64_t, std::string> cache;
  std::string& text = cache[legs];
  if (text.empty()) {
    IdGenerator ids(7);
    json conversations = json::array();
    for (int64_t b = 0; b < legs / kLegsPerBridge; ++b) {
      json participants = json::array();
      for (const char* purpose : {"customer", "agent", "user", "external", "user"}) {
        participants.push_back({{"id", ids.NextUuid()},
                                {"purpose", purpose},
                                {"speech", json{{"every", "60s"}, {"for", "30s"}}}});
      }
      conversations.push_back({{"id", ids.NextUuid()}, {"participants", std::move(participants)}});
    }
    text = json{{"rateLimit", 0},
                {"oauthClients",
                 json::array({{{"clientId", kClientId}, {"clientSecret", kClientSecret}}})},
                {"conversations", std::move(conversations)}}
               .dump();
  }
  return text;
}

// Baseline for loading: parsing the same text into nlohmann::json and nothing else.
void BM_Json_ParseWorldText(benchmark::State& state) {
  const std::string& text = WorldText(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(json::parse(text));
  SetSize(state, state.range(0));
  state.counters["bytes_per_leg"] =
      static_cast<double>(text.size()) / static_cast<double>(state.range(0));
}
BENCHMARK(BM_Json_ParseWorldText)
    ->RangeMultiplier(10)
    ->Range(kSmall, 100'000)
    ->Complexity(benchmark::oN)
    ->Unit(benchmark::kMillisecond);

// A loaded world and its clock, torn down off the clock: freeing 1M legs takes about as long
// as building them, and loading is what is measured.
struct Loaded {
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<core::Simulator> sim;
  void Discard(benchmark::State& state) {
    state.PauseTiming();
    sim.reset();
    clock = std::make_unique<ManualClock>();
    state.ResumeTiming();
  }
};

// Text to a running simulator: json::parse, ParseWorld, Simulator::Create.
void BM_Core_WorldLoad(benchmark::State& state) {
  const std::string& text = WorldText(state.range(0));
  Loaded loaded;
  for (auto _ : state) {
    loaded.Discard(state);
    auto spec = core::ParseWorld(json::parse(text));
    if (!spec.ok()) state.SkipWithError(spec.status().message().c_str());
    auto sim = core::Simulator::Create({.clock = loaded.clock.get()}, *spec);
    if (!sim.ok()) state.SkipWithError(sim.status().message().c_str());
    loaded.sim = std::move(sim).value();
  }
  loaded.sim.reset();  // the loop is over: the clock has stopped
  SetSize(state, state.range(0));
}
BENCHMARK(BM_Core_WorldLoad)
    ->RangeMultiplier(10)
    ->Range(kSmall, 100'000)
    ->Complexity(benchmark::oN)
    ->Unit(benchmark::kMillisecond);

// A generated world ("generate": N bridges), the way the load scenarios describe theirs.
void BM_Core_WorldGenerate(benchmark::State& state) {
  const core::WorldSpec spec = LoadWorld(static_cast<int>(state.range(0) / kLegsPerBridge));
  Loaded loaded;
  for (auto _ : state) {
    loaded.Discard(state);
    auto sim = core::Simulator::Create({.clock = loaded.clock.get()}, spec);
    if (!sim.ok()) state.SkipWithError(sim.status().message().c_str());
    loaded.sim = std::move(sim).value();
  }
  loaded.sim.reset();  // the loop is over: the clock has stopped
  SetSize(state, state.range(0));
}
BENCHMARK(BM_Core_WorldGenerate)
    ->RangeMultiplier(10)
    ->Range(kSmall, kLarge)
    ->Complexity(benchmark::oN)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gcsim::bench

BENCHMARK_MAIN();
