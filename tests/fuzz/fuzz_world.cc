// A world as a world file or a scenario's "world" holds it: parsed (comments allowed,
// duplicate keys refused), read by ParseWorld, and built by a Simulator on a ManualClock with
// small limits, so that a fuzzed "bridges": 100000000 is refused rather than built.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gcsim/common/clock.h"
#include "gcsim/common/json.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto json = gcsim::ParseJson(text, {.allow_comments = true, .reject_duplicate_keys = true});
  if (!json.ok()) return 0;
  // A scenario file: its world is under "world".
  const bool scenario = json->is_object() && json->contains("world");
  const auto world = gcsim::core::ParseWorld(scenario ? (*json)["world"] : *json,
                                             scenario ? "/world" : "");
  if (!world.ok()) {
    Check(world.status().code() == gcsim::StatusCode::kInvalidArgument);
    return 0;
  }
  gcsim::ManualClock clock;
  auto sim = gcsim::core::Simulator::Create(
      {.clock = &clock, .limits = {.max_legs = 2000, .max_conversations = 500}}, *world);
  if (!sim.ok()) return 0;
  (*sim)->Read([](const gcsim::core::WorldView& view) {
    for (const gcsim::core::Conversation* conv : view.ConversationsByStart()) {
      for (const gcsim::core::Participant* leg : conv->participants) (void)view.Media(*leg);
    }
  });
  clock.Advance(std::chrono::minutes(10));
  (void)(*sim)->SilentLegs(std::chrono::minutes(1));
  return 0;
}
