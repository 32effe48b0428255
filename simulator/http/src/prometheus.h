// GET /sim/v1/metrics: the journal's traffic counts and the world's live and idle legs in the
// Prometheus text format (version 0.0.4), so that a load run against `gcsim serve` can be
// watched with the tools teams already use.
#pragma once

#include <string>

#include "gcsim/core/simulator.h"

namespace gcsim::http {

inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

std::string PrometheusText(core::Simulator& simulator);

}  // namespace gcsim::http
