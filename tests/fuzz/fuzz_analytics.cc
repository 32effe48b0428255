// The analytics queries (conversation details, queue observations) on any JSON body, over a
// small world: refused with a Status or answered, never thrown, and every answer serializes.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "analytics.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/json.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

const gcsim::core::Simulator& World() {
  static gcsim::ManualClock clock;
  static const std::unique_ptr<gcsim::core::Simulator> sim = [] {
    gcsim::core::WorldSpec world = gcsim::core::DemoWorld();
    world.generated.push_back(
        {.bridges = 20,
         .purposes = {gcsim::core::Purpose::kCustomer, gcsim::core::Purpose::kAgent,
                      gcsim::core::Purpose::kAcd},
         .silent_fraction = 0.5,
         .queue_id = std::string(gcsim::core::kDemoQueueId)});
    auto created = gcsim::core::Simulator::Create({.clock = &clock}, world);
    Check(created.ok());
    // Some ended legs and conversations, so segment and end filters have something to find.
    Check((*created)->HangUp(std::string(gcsim::core::kDemoCustomerId)).ok());
    clock.Advance(std::chrono::minutes(5));
    return std::move(*created);
  }();
  return *sim;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto query = gcsim::ParseJson(text);
  if (!query.ok()) return 0;
  for (const auto& answer : {gcsim::http::QueryConversationDetails(World(), *query),
                             gcsim::http::QueryQueueObservations(World(), *query)}) {
    if (answer.ok()) {
      (void)answer->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      Check(!answer.status().message().empty());
    }
  }
  return 0;
}
