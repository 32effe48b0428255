// Bytes per leg of a loaded world: resident memory grown by building a generated world (five
// legs per bridge), over its legs. Baseline, from the same world: the bytes its structures hold
// by design (sizeof of each entity, its hash-table node and bucket, and the heap blocks of its
// strings and vectors as glibc sizes them), so the ratio tells allocator and paging overhead
// from the layout itself.
// Also the build's wall time in this fresh process (a cold build: every page it fills is new to
// the process) beside this machine's floor for it: the time to write one byte into each page of
// as many fresh bytes as the world grew the process by.
//   bench_memory [--legs N]   (default 1,000,000)   prints one line "MEMORY_JSON {...}"
//   bench_memory --smoke      10,000 legs; fails only if the world cannot be built
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "bench_util.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/strings.h"
#include "gcsim/core/simulator.h"

namespace gcsim::bench {
namespace {

// What glibc hands out for a request of `n` bytes: 8 bytes of header, 16-byte granules,
// 32 bytes at least.
int64_t MallocBlock(size_t n) {
  if (n == 0) return 0;
  const int64_t block = (static_cast<int64_t>(n) + 8 + 15) / 16 * 16;
  return block < 32 ? 32 : block;
}

// The heap block of a string that outgrew its inline buffer (15 chars in libstdc++).
int64_t StringHeap(const std::string& s) {
  return s.capacity() > 15 ? MallocBlock(s.capacity() + 1) : 0;
}

// A node of std::unordered_map<std::string, T>: next pointer, key, value, cached hash; plus
// one bucket pointer per element at load factor 1.
template <typename T>
int64_t HashEntry(const std::string& key) {
  return MallocBlock(sizeof(void*) + sizeof(std::pair<const std::string, T>) + sizeof(size_t)) +
         StringHeap(key) + static_cast<int64_t>(sizeof(void*));
}

// A leg: its slot in the world's deque and its heap blocks (the id index is counted whole).
int64_t LegBytes(const core::Participant& leg) {
  int64_t bytes = static_cast<int64_t>(sizeof(core::Participant));
  for (const std::string* s : {&leg.id, &leg.user_id, &leg.queue_id}) bytes += StringHeap(*s);
  for (const HeapString* s : {&leg.name, &leg.address}) {
    if (!s->empty()) bytes += MallocBlock(sizeof(std::string)) + StringHeap(s->str());
  }
  if (leg.links) {
    bytes += MallocBlock(sizeof(core::Participant::Links));
    for (const std::string* s :
         {&leg.links->monitored_participant_id, &leg.links->coached_participant_id,
          &leg.links->barged_participant_id}) {
      bytes += StringHeap(*s);
    }
  }
  if (leg.wrapup) bytes += MallocBlock(sizeof(core::Wrapup));  // its strings not counted
  if (leg.acw) bytes += MallocBlock(sizeof(core::AcwSettings));
  bytes += MallocBlock(leg.segments.capacity() * sizeof(core::Segment));
  bytes += MallocBlock(leg.speech.intervals.capacity() * sizeof(leg.speech.intervals[0]));
  return bytes;
}

int64_t ConversationBytes(const core::Conversation& conv) {
  return HashEntry<core::Conversation>(conv.id) + StringHeap(conv.id) + StringHeap(conv.name) +
         StringHeap(conv.recording_state) +
         MallocBlock(conv.participants.capacity() * sizeof(core::Participant*)) +
         static_cast<int64_t>(sizeof(const core::Conversation*));  // the by-start index
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Seconds to write one byte into each page of `bytes` of fresh anonymous memory, advised onto
// huge pages as the programs' heap is (common/src/huge_page_heap.cc).
double FirstTouchSeconds(int64_t bytes) {
  const auto size = static_cast<size_t>(std::max<int64_t>(bytes, 1));
  void* mapped = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return 0;
  madvise(mapped, size, MADV_HUGEPAGE);
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  volatile char* memory = static_cast<char*>(mapped);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < size; i += page) memory[i] = 1;
  const double seconds = SecondsSince(start);
  munmap(mapped, size);
  return seconds;
}

int Main(int argc, char** argv) {
  int64_t legs = 1'000'000;
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") {
      smoke = true;
      legs = 10'000;
    } else if (arg == "--legs" && i + 1 < argc) {
      const std::optional<long long> n = gcsim::ParseInteger(argv[++i]);
      if (!n || *n < 1 || *n > 100'000'000) {
        std::cerr << "bench_memory: --legs needs a whole number from 1 to 100000000\n";
        return 2;
      }
      legs = *n;
    } else {
      std::cerr << "usage: bench_memory [--legs N] | --smoke\n";
      return 2;
    }
  }
  ManualClock clock;
  // Warm up code and allocator on a tiny world, so the growth below is the world's alone.
  {
    auto warm = core::Simulator::Create({.clock = &clock}, LoadWorld(10));
    if (!warm.ok()) return 1;
  }
  malloc_trim(0);
  const core::WorldSpec spec = LoadWorld(static_cast<int>(legs / kLegsPerBridge));
  const int64_t before = CurrentRssBytes();
  const auto build_start = std::chrono::steady_clock::now();
  auto sim = core::Simulator::Create({.clock = &clock}, spec);
  const double build_seconds = SecondsSince(build_start);
  if (!sim.ok()) {
    std::cerr << sim.status().message() << "\n";
    return 1;
  }
  const int64_t after = CurrentRssBytes();
  const double first_touch_seconds = FirstTouchSeconds(after - before);

  int64_t counted_legs = 0, accounted = 0;
  (*sim)->Read([&](const core::WorldView& world) {
    for (const core::Conversation* conv : world.ConversationsByStart()) {
      accounted += ConversationBytes(*conv);
      for (const core::Participant* leg : conv->participants) {
        accounted += LegBytes(*leg);
        ++counted_legs;
      }
    }
  });
  // The id index (simulator/core/src/leg_index.h): 16-byte slots, a power of two at most three
  // quarters full.
  const auto n = static_cast<uint64_t>(counted_legs);
  accounted += static_cast<int64_t>(16 * std::bit_ceil(n + n / 3 + 1));
  const double per_leg = static_cast<double>(after - before) / static_cast<double>(counted_legs);
  const double accounted_per_leg =
      static_cast<double>(accounted) / static_cast<double>(counted_legs);
  const nlohmann::json out = {{"legs", counted_legs},
                              {"rss_before_bytes", before},
                              {"rss_after_bytes", after},
                              {"bytes_per_leg", per_leg},
                              {"accounted_bytes_per_leg", accounted_per_leg},
                              {"sizeof_participant", sizeof(core::Participant)},
                              {"sizeof_conversation", sizeof(core::Conversation)},
                              {"sizeof_segment", sizeof(core::Segment)},
                              {"peak_rss_bytes", PeakRssBytes()},
                              {"cold_build_seconds", build_seconds},
                              {"first_touch_seconds", first_touch_seconds}};
  std::cout << "MEMORY_JSON " << out.dump() << std::endl;
  if (smoke && counted_legs != legs) return 1;
  return 0;
}

}  // namespace
}  // namespace gcsim::bench

int main(int argc, char** argv) { return gcsim::bench::Main(argc, argv); }
