// The /sim/v1 control plane: health, reset, the clock, the whole state, media per leg and in
// bulk (what the reaper's "sim" activity source reads), and the journal. No credentials.
#pragma once

#include "gcsim/common/clock.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"
#include "router.h"

namespace gcsim::http {

struct ControlPlane {
  core::Simulator* simulator = nullptr;  // required
  ManualClock* manual_clock = nullptr;   // null: the clock is real and cannot be advanced
  core::WorldSpec initial_world;         // what an empty POST /sim/v1/reset restores
};

// `control` is copied; the simulator and clock it points at must outlive the router.
void AddControlRoutes(Router& router, const ControlPlane& control);

}  // namespace gcsim::http
