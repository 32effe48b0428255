// The Genesys side: POST /oauth/token and the /api/v2 routes gcsim serves.
#pragma once

#include "gcsim/core/simulator.h"
#include "router.h"

namespace gcsim::http {

// `sim` must outlive the router.
void AddGenesysRoutes(Router& router, core::Simulator& sim);

}  // namespace gcsim::http
