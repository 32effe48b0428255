// Read-only rules over a WorldView: what the API's queries find. The HTTP layer parses each
// query (simulator/http/src/analytics.cc) and writes the answer; which conversations and legs
// match is decided here.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "gcsim/common/time.h"
#include "gcsim/core/model.h"

namespace gcsim::core {

class WorldView;

// What a queue's real-time dashboard shows (analytics queue observations).
struct QueueObservation {
  // Connected people other than customers and external parties working the queue's calls:
  // agents, and users such as a supervisor on the bridge (a phantom leg keeps counting here).
  int interacting = 0;
  // Live conversations where the queue's acd leg is connected and no agent or user has joined.
  int waiting = 0;
};
// Scans every conversation: linear in the world, like the real query.
QueueObservation ObserveQueue(const WorldView& world, const std::string& queue_id);

// The subset of the analytics conversation details query gcsim answers.
struct DetailPredicate {
  enum class Dimension {
    kConversationEnd,  // conversation level; exists / notExists
    kConversationId,   // conversation level
    kSegmentType,      // the rest: segment level
    kSegmentEnd,       // exists / notExists
    kQueueId,
    kPurpose,
    kUserId,
    kParticipantId,
  };
  enum class Operator { kMatches, kExists, kNotExists };
  Dimension dimension = Dimension::kConversationId;
  Operator op = Operator::kMatches;
  std::string value;  // kMatches
};
struct DetailFilter {
  bool any = false;  // "or": one predicate is enough; "and": all of them
  std::vector<DetailPredicate> predicates;
};
struct ConversationDetailQuery {
  TimePoint start;  // the interval
  TimePoint end;
  std::vector<DetailFilter> conversation_filters;
  std::vector<DetailFilter> segment_filters;
  bool descending = false;  // by conversation start
  int page_size = 25;
  int page_number = 1;
};
// Calls `on_page` for each conversation of the query's page, in the query's order, and returns
// how many conversations match in all. Filters are and-ed; a segment filter holds when one
// segment satisfies it on its own. Linear in the world.
size_t RunDetailQuery(const WorldView& world, const ConversationDetailQuery& query,
                      const std::function<void(const Conversation&)>& on_page);

// A user's routing status as GET /api/v2/users/{id}/routingstatus shows it.
enum class RoutingStatus { kOffQueue, kIdle, kInteracting, kCommunicating, kNotResponding };
const char* ToString(RoutingStatus status);
struct UserRoutingStatus {
  RoutingStatus status = RoutingStatus::kIdle;
  TimePoint since;
};
// INTERACTING while the user has a live leg routed through a queue (alerting or connected),
// COMMUNICATING while only other live legs; else IDLE (OFF_QUEUE when the user is not on
// queue) since the user's last leg ended. A leg with reads_idle_since (the phantom of the
// observed profile) counts as no leg from then on. Linear in the world.
UserRoutingStatus RoutingStatusOf(const WorldView& world, const User& user);

// The live conversations (not ended) where `user_id` has a live leg, oldest first: what
// GET /api/v2/conversations/calls lists for the calling user.
std::vector<const Conversation*> LiveCallsOf(const WorldView& world, const std::string& user_id);

}  // namespace gcsim::core
