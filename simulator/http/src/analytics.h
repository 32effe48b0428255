// The analytics queries gcsim answers, computed from the world: the conversation details
// query (the subset that finds live legs) and the queue observations (the dashboard where phantom
// legs show). Whatever a query asks that gcsim does not model is refused with a bad.request that
// names it, never silently ignored.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "gcsim/common/status.h"
#include "gcsim/core/simulator.h"

namespace gcsim::http {

// Both show the world as it was the world's analyticsLag ago, or `stale_lag` ago when longer
// (a staleAnalytics fault).

// POST /api/v2/analytics/conversations/details/query -> AnalyticsConversationQueryResponse.
// `pages`: the matches kept between the pages of a query (see core::DetailQueryCache).
Result<nlohmann::json> QueryConversationDetails(const core::Simulator& sim,
                                                const nlohmann::json& query, Duration stale_lag = {},
                                                core::DetailQueryCache* pages = nullptr);

// GET /api/v2/analytics/conversations/{conversationId}/details ->
// AnalyticsConversationWithoutAttributes, or 404 while analytics have not seen it.
Result<nlohmann::json> ConversationDetails(const core::Simulator& sim,
                                           const std::string& conversation_id,
                                           Duration stale_lag = {});

// POST /api/v2/analytics/queues/observations/query -> QueueObservationQueryResponse.
Result<nlohmann::json> QueryQueueObservations(const core::Simulator& sim,
                                              const nlohmann::json& query, Duration stale_lag = {});

}  // namespace gcsim::http
