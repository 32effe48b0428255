// Participant and conversation PATCH bodies, read as the server reads them, on a core Simulator over a ManualClock. The first
// byte picks the profile, the route and the leg; the rest is the body. A refused request
// changes nothing; whatever is stored (a wrapup) serializes; delayed drops land on the clock.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gcsim/common/clock.h"
#include "gcsim/common/json.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"
#include "requests.h"  // private to gcsim_server: how the server reads the bodies

namespace {

using gcsim::core::Participant;

void Check(bool condition) {
  if (!condition) std::abort();
}

// What a refused request must leave as it was.
std::string Snapshot(const gcsim::core::Simulator& sim, const std::string& id) {
  std::string out;
  sim.Read([&](const gcsim::core::WorldView& view) {
    const Participant* leg = view.FindParticipant(id);
    Check(leg != nullptr);
    out = std::string(gcsim::core::ToString(leg->state)) + (leg->held ? "H" : "") +
          (leg->muted ? "M" : "") + (leg->confined ? "C" : "") + (leg->recording ? "R" : "") +
          (leg->wrapup ? gcsim::core::WrapupToJson(*leg->wrapup).dump(
                             -1, ' ', false, nlohmann::json::error_handler_t::replace)
                       : "") +
          std::to_string(leg->pending_drop != 0);
  });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t choice = data[0];
  const auto body = gcsim::ParseJson(std::string_view(reinterpret_cast<const char*>(data) + 1,
                                                      size - 1));
  // The server answers any other body with 400 before a handler runs.
  if (!body.ok() || !body->is_object()) return 0;

  static constexpr gcsim::core::Profile kProfiles[] = {gcsim::core::Profile::kObserved,
                                                       gcsim::core::Profile::kDocumented,
                                                       gcsim::core::Profile::kStrict};
  static const std::string kLegs[] = {std::string(gcsim::core::kDemoSupervisorId),
                                      std::string(gcsim::core::kDemoCustomerId),
                                      std::string(gcsim::core::kDemoAgentId)};
  gcsim::ManualClock clock;
  auto created = gcsim::core::Simulator::Create(
      {.clock = &clock, .profile = kProfiles[choice % 3]}, gcsim::core::DemoWorld());
  Check(created.ok());
  gcsim::core::Simulator& sim = **created;
  const std::string conversation(gcsim::core::kDemoConversationId);
  const std::string& leg = kLegs[(choice / 3) % 3];
  const auto route = (choice / 9) % 2 ? gcsim::core::ParticipantRoute::kCall
                                      : gcsim::core::ParticipantRoute::kGeneric;
  const gcsim::core::Caller caller{"demo-client", (choice / 18) % 2 ? "" : "some-user"};

  const std::string before = Snapshot(sim, leg);
  const gcsim::core::UpdateOutcome outcome =
      sim.UpdateParticipant(conversation, leg, gcsim::http::ReadMediaParticipantRequest(*body),
                            caller, route);
  if (!outcome.status.ok()) {
    Check(outcome.http_status >= 400 && outcome.http_status < 500);
    Check(Snapshot(sim, leg) == before);
  } else {
    Check(outcome.http_status == 202 || outcome.http_status == 204);
  }
  clock.Advance(std::chrono::seconds(1));
  (void)Snapshot(sim, leg);
  const gcsim::core::UpdateOutcome whole = sim.UpdateConversation(
      conversation, gcsim::http::ReadConversationUpdateRequest(*body));
  if (!whole.status.ok()) Check(whole.http_status >= 400 && whole.http_status < 500);
  clock.Advance(std::chrono::seconds(1));
  (void)Snapshot(sim, leg);
  return 0;
}
