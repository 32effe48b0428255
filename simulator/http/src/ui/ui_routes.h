// /sim/v1/ui/: the live supervisor view. The page (assets/, compiled in) polls
// GET /sim/v1/ui/view, a small paged JSON snapshot of the world: queues with their dashboard
// counts, live conversations with their legs and media, phantom legs, and the journal's tail.
#pragma once

#include "gcsim/core/simulator.h"
#include "router.h"

namespace gcsim::http {

// `sim` must outlive the router. `manual_clock`: whether the page offers to advance the clock.
// None of these routes is journalled: watching the world must not change what it shows.
void AddUiRoutes(Router& router, core::Simulator& sim, bool manual_clock);

}  // namespace gcsim::http
