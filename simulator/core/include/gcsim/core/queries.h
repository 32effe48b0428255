// Read-only rules over a WorldView: what the API's queries find. The HTTP layer parses each
// query (simulator/http/src/analytics.cc) and writes the answer; which conversations and legs
// match is decided here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gcsim/common/time.h"
#include "gcsim/core/last_answer.h"
#include "gcsim/core/model.h"

namespace gcsim::core {

class WorldView;

// What a queue's real-time dashboard shows (analytics queue observations).
struct QueueObservation {
  // Connected people other than customers and external parties working the queue's calls:
  // agents, and users such as a supervisor on the bridge (a phantom leg keeps counting here).
  std::vector<const Participant*> interacting;
  // The queue's acd legs of live conversations where no agent or user has joined.
  std::vector<const Participant*> waiting;
  // Agents' and users' legs ringing from the queue.
  std::vector<const Participant*> alerting;
};
// Scans every conversation: linear in the world, like the real query. Each list is in the
// order its conversations started.
QueueObservation ObserveQueue(const WorldView& world, const std::string& queue_id);

// The users who work `queue` (its members; every user of the world when it names none).
std::vector<const User*> QueueMembers(const WorldView& world, const Queue& queue);

// Analytics spells disconnect types in camelCase where the conversation API uses dots
// ("transfer.noanswer" -> "noAnswerTransfer").
std::string AnalyticsDisconnectType(const std::string& type);

// A metric of an analytics session (AnalyticsSessionMetric): a duration in milliseconds,
// emitted when what it measures ends.
struct SessionMetric {
  std::string_view name;
  long long value_ms = 0;
  TimePoint emitted;
};
// The metrics gcsim emits for a leg of a person routed to work calls (purpose agent or user):
// tAlert (rang, then answered), tNotResponding (rang out unanswered), tTalk and tHeld (each
// ended interact and hold segment), tAcw (after-call work done). Other legs emit none.
std::vector<SessionMetric> SessionMetrics(const Participant& leg);
// The session metric names SessionMetrics can emit, for queries to check against.
bool IsSessionMetric(std::string_view name);

// A numeric range of a metric predicate (NumericRange); unset bounds are open.
struct NumericRange {
  std::optional<double> gt, gte, lt, lte;
  bool Contains(double value) const;
  bool operator==(const NumericRange&) const = default;
};

// The subset of the analytics conversation details query gcsim answers.
struct DetailPredicate {
  enum class Dimension {
    kConversationEnd,       // conversation level; exists / notExists
    kConversationId,        // conversation level
    kOriginatingDirection,  // conversation level: the first leg's direction
    kConversationMetric,    // conversation level: a session metric of any leg (`metric`)
    kSegmentType,           // the rest: segment level
    kSegmentEnd,            // exists / notExists
    kQueueId,
    kPurpose,
    kUserId,
    kParticipantId,
    kMediaType,
    kDirection,
    kDisconnectType,   // camelCase, on a leg's last segment once it has left
    kSegmentDuration,  // the metric tSegmentDuration: an ended segment's length
  };
  enum class Operator { kMatches, kExists, kNotExists };
  Dimension dimension = Dimension::kConversationId;
  Operator op = Operator::kMatches;
  std::string value;  // kMatches on a dimension; enumerated values match ignoring case
  std::string metric;  // kConversationMetric
  NumericRange range;  // kMatches on a metric, in milliseconds
  bool operator==(const DetailPredicate&) const = default;
};
struct DetailFilter {
  bool any = false;  // "or": one predicate or clause is enough; "and": all of them
  std::vector<DetailPredicate> predicates;
  std::vector<DetailFilter> clauses;  // one level deep, as the real API nests them
  bool operator==(const DetailFilter&) const = default;
};
enum class DetailOrderBy { kConversationStart, kConversationEnd, kSegmentStart, kSegmentEnd };
struct ConversationDetailQuery {
  // The interval. As the real API does, it selects conversations that started on a (UTC) day
  // the interval touches, not those that overlap it.
  TimePoint start;
  TimePoint end;
  std::vector<DetailFilter> conversation_filters;
  std::vector<DetailFilter> segment_filters;
  DetailOrderBy order_by = DetailOrderBy::kConversationStart;
  bool descending = false;
  int page_size = 25;
  int page_number = 1;
  bool operator==(const ConversationDetailQuery&) const = default;
};

// Where the conversations a detail query matches are in the view's ConversationsByStart(), in
// the query's order. 32 bits each: 2^32 conversations would take terabytes.
using DetailMatches = std::vector<uint32_t>;

// What a detail query matched, kept from one page to the next, keyed by the query with its
// paging zeroed: a client that reads every page (the reaper's signals source does, every tick)
// walks the world for the first page only and pays each of the others by its size. One per
// simulator.
using DetailQueryCache = LastAnswer<ConversationDetailQuery, DetailMatches>;

// Calls `on_page` for each conversation of the query's page, in the query's order, and returns
// how many conversations match in all. Filters are and-ed; a segment filter holds when one
// segment satisfies it on its own. By segmentStart (segmentEnd), a conversation sorts by the
// earliest start (end) of its segments that satisfy every segment filter; conversations
// without one (no end yet) come last either way. Linear in the world, plus a sort when the
// order is not conversationStart; with a `cache` that holds the query's matches, linear in
// the page.
size_t RunDetailQuery(const WorldView& world, const ConversationDetailQuery& query,
                      const std::function<void(const Conversation&)>& on_page,
                      DetailQueryCache* cache = nullptr);

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
// The same for many users in one scan of the world (a queue's members): in `users`' order.
std::vector<UserRoutingStatus> RoutingStatusesOf(const WorldView& world,
                                                 const std::vector<const User*>& users);

// The live conversations (not ended) where `user_id` has a live leg, oldest first: what
// GET /api/v2/conversations/calls lists for the calling user.
std::vector<const Conversation*> LiveCallsOf(const WorldView& world, const std::string& user_id);

}  // namespace gcsim::core
