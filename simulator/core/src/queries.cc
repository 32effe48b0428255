#include "gcsim/core/queries.h"

#include <algorithm>
#include <optional>

#include "gcsim/core/simulator.h"

namespace gcsim::core {
namespace {

using Dimension = DetailPredicate::Dimension;
using Operator = DetailPredicate::Operator;

bool Holds(const DetailPredicate& p, const Conversation& conv) {
  switch (p.dimension) {
    case Dimension::kConversationEnd:
      return conv.end_time.has_value() == (p.op == Operator::kExists);
    case Dimension::kConversationId:
      return conv.id == p.value;
    default:
      return false;
  }
}

bool Holds(const DetailPredicate& p, const Participant& leg, const Segment& segment) {
  switch (p.dimension) {
    case Dimension::kSegmentType:
      return segment.type == p.value;
    case Dimension::kSegmentEnd:
      return segment.end.has_value() == (p.op == Operator::kExists);
    case Dimension::kQueueId:
      return leg.queue_id == p.value;
    case Dimension::kPurpose:
      return ToString(leg.purpose) == p.value;
    case Dimension::kUserId:
      return leg.user_id == p.value;
    case Dimension::kParticipantId:
      return leg.id == p.value;
    default:
      return false;
  }
}

template <typename Test>
bool Combine(const DetailFilter& filter, Test&& test) {
  return filter.any ? std::any_of(filter.predicates.begin(), filter.predicates.end(), test)
                    : std::all_of(filter.predicates.begin(), filter.predicates.end(), test);
}

bool Selected(const ConversationDetailQuery& query, const Conversation& conv) {
  if (conv.start_time >= query.end || (conv.end_time && *conv.end_time < query.start)) return false;
  for (const DetailFilter& filter : query.conversation_filters) {
    if (!Combine(filter, [&](const DetailPredicate& p) { return Holds(p, conv); })) return false;
  }
  for (const DetailFilter& filter : query.segment_filters) {
    const bool found = std::any_of(
        conv.participants.begin(), conv.participants.end(), [&](const Participant* leg) {
          return std::any_of(leg->segments.begin(), leg->segments.end(), [&](const Segment& s) {
            return Combine(filter, [&](const DetailPredicate& p) { return Holds(p, *leg, s); });
          });
        });
    if (!found) return false;
  }
  return true;
}

}  // namespace

QueueObservation ObserveQueue(const WorldView& world, const std::string& queue_id) {
  QueueObservation out;
  for (const Conversation* conv : world.ConversationsByStart()) {
    if (conv->end_time) continue;
    bool acd_waiting = false;
    bool staffed = false;
    for (const Participant* leg : conv->participants) {
      if (leg->state != LegState::kConnected) continue;
      const bool works_calls = leg->purpose == Purpose::kAgent || leg->purpose == Purpose::kUser;
      staffed |= works_calls;
      if (leg->queue_id != queue_id) continue;
      if (works_calls) ++out.interacting;
      if (leg->purpose == Purpose::kAcd) acd_waiting = true;
    }
    if (acd_waiting && !staffed) ++out.waiting;
  }
  return out;
}

size_t RunDetailQuery(const WorldView& world, const ConversationDetailQuery& query,
                      const std::function<void(const Conversation&)>& on_page) {
  const size_t page_size = static_cast<size_t>(query.page_size);
  const size_t first = static_cast<size_t>(query.page_number - 1) * page_size;
  size_t total = 0;
  const auto visit = [&](const Conversation* conv) {
    if (!Selected(query, *conv)) return;
    if (total >= first && total < first + page_size) on_page(*conv);
    ++total;
  };
  const auto& all = world.ConversationsByStart();
  if (query.descending) {
    std::for_each(all.rbegin(), all.rend(), visit);
  } else {
    std::for_each(all.begin(), all.end(), visit);
  }
  return total;
}

const char* ToString(RoutingStatus status) {
  switch (status) {
    case RoutingStatus::kOffQueue: return "OFF_QUEUE";
    case RoutingStatus::kIdle: return "IDLE";
    case RoutingStatus::kInteracting: return "INTERACTING";
    case RoutingStatus::kCommunicating: return "COMMUNICATING";
    case RoutingStatus::kNotResponding: return "NOT_RESPONDING";
  }
  return "IDLE";
}

UserRoutingStatus RoutingStatusOf(const WorldView& world, const User& user) {
  const std::vector<const Conversation*>& conversations = world.ConversationsByStart();
  std::optional<TimePoint> on_queue_call, other_call;  // since when, the earliest
  const Participant* rang_out = nullptr;  // the user's last leg, when it rang unanswered
  TimePoint idle_since = conversations.empty() ? world.now() : conversations.front()->start_time;
  for (const Conversation* conv : conversations) {
    for (const Participant* leg : conv->participants) {
      if (leg->user_id != user.id) continue;
      // After-call work is still the queue's interaction: the agent reads INTERACTING in it.
      const bool in_acw = leg->start_acw_time && !leg->end_acw_time && !leg->queue_id.empty();
      if ((!IsLive(leg->state) && !in_acw) || leg->reads_idle_since) {
        const std::optional<TimePoint> ended =
            leg->reads_idle_since ? leg->reads_idle_since : leg->end_acw_time ? leg->end_acw_time : leg->end_time;
        if (ended && *ended >= idle_since) {
          idle_since = *ended;
          rang_out = leg->disconnect_type == "transfer.noanswer" ? leg : nullptr;
        }
        continue;
      }
      std::optional<TimePoint>& call = leg->queue_id.empty() ? other_call : on_queue_call;
      const TimePoint since = leg->connected_time.value_or(leg->start_time);
      call = call ? std::min(*call, since) : since;
    }
  }
  if (on_queue_call) return {RoutingStatus::kInteracting, *on_queue_call};
  if (other_call) return {RoutingStatus::kCommunicating, *other_call};
  if (rang_out != nullptr) return {RoutingStatus::kNotResponding, idle_since};
  return {user.on_queue ? RoutingStatus::kIdle : RoutingStatus::kOffQueue, idle_since};
}

std::vector<const Conversation*> LiveCallsOf(const WorldView& world, const std::string& user_id) {
  std::vector<const Conversation*> out;
  for (const Conversation* conv : world.ConversationsByStart()) {
    if (conv->end_time) continue;
    const bool mine =
        std::any_of(conv->participants.begin(), conv->participants.end(), [&](const Participant* leg) {
          return leg->user_id == user_id && IsLive(leg->state);
        });
    if (mine) out.push_back(conv);
  }
  return out;
}

}  // namespace gcsim::core
