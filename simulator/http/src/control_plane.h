// The /sim/v1 control plane: health, reset, the clock, the whole state, media per leg and in
// bulk (what the reaper's "sim" activity source reads), and the journal. No credentials.
#pragma once

#include <functional>

#include "gcsim/common/clock.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"
#include "router.h"

namespace gcsim::http {

struct ControlPlane {
  core::Simulator* simulator = nullptr;  // required
  ManualClock* manual_clock = nullptr;   // null: the clock is real and cannot be advanced
  core::WorldSpec initial_world;         // what an empty POST /sim/v1/reset restores
  // Run after each reset: what clients read or were told of the world it replaced must not
  // judge their drops in the new one (whose legs may reuse the old ids).
  std::function<void()> on_reset;
};

// `control` is copied; the simulator and clock it points at must outlive the router.
void AddControlRoutes(Router& router, const ControlPlane& control);

}  // namespace gcsim::http
