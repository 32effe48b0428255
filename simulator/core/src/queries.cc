#include "gcsim/core/queries.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <unordered_map>
#include <utility>
#include <optional>

#include "gcsim/core/simulator.h"

namespace gcsim::core {
namespace {

using Dimension = DetailPredicate::Dimension;
using Operator = DetailPredicate::Operator;

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

long long Millis(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

bool HasMetric(const DetailPredicate& p, const Conversation& conv) {
  return std::any_of(conv.participants.begin(), conv.participants.end(), [&](const Participant* leg) {
    const std::vector<SessionMetric> metrics = SessionMetrics(*leg);
    return std::any_of(metrics.begin(), metrics.end(), [&](const SessionMetric& m) {
      return m.name == p.metric &&
             (p.op != Operator::kMatches || p.range.Contains(static_cast<double>(m.value_ms)));
    });
  });
}

bool Holds(const DetailPredicate& p, const Conversation& conv) {
  switch (p.dimension) {
    case Dimension::kConversationEnd:
      return conv.end_time.has_value() == (p.op == Operator::kExists);
    case Dimension::kConversationId:
      return conv.id == p.value;
    case Dimension::kOriginatingDirection:
      return !conv.participants.empty() &&
             SameIgnoringCase(ToString(conv.participants.front()->direction), p.value);
    case Dimension::kConversationMetric:
      return HasMetric(p, conv) == (p.op != Operator::kNotExists);
    default:
      return false;
  }
}

bool Holds(const DetailPredicate& p, const Participant& leg, const Segment& segment) {
  switch (p.dimension) {
    case Dimension::kSegmentType:
      return SameIgnoringCase(ToString(segment.type), p.value);
    case Dimension::kSegmentEnd:
      return segment.end.has_value() == (p.op == Operator::kExists);
    case Dimension::kQueueId:
      return leg.queue_id == p.value;
    case Dimension::kPurpose:
      return SameIgnoringCase(ToString(leg.purpose), p.value);
    case Dimension::kUserId:
      return leg.user_id == p.value;
    case Dimension::kParticipantId:
      return leg.id == p.value;
    case Dimension::kMediaType:
      return SameIgnoringCase("voice", p.value);
    case Dimension::kDirection:
      return SameIgnoringCase(ToString(leg.direction), p.value);
    case Dimension::kDisconnectType: {
      const bool carries =
          leg.disconnect_type != DisconnectType::kNone && &segment == &leg.segments.back();
      if (p.op != Operator::kMatches) return carries == (p.op == Operator::kExists);
      return carries && SameIgnoringCase(AnalyticsDisconnectType(ToString(leg.disconnect_type)), p.value);
    }
    case Dimension::kSegmentDuration: {
      if (p.op != Operator::kMatches) return segment.end.has_value() == (p.op == Operator::kExists);
      return segment.end &&
             p.range.Contains(static_cast<double>(Millis(*segment.end - segment.start)));
    }
    default:
      return false;
  }
}

template <typename Test>
bool Satisfies(const DetailFilter& filter, const Test& test) {
  const auto clause = [&](const DetailFilter& c) { return Satisfies(c, test); };
  if (filter.any) {
    return std::any_of(filter.predicates.begin(), filter.predicates.end(), test) ||
           std::any_of(filter.clauses.begin(), filter.clauses.end(), clause);
  }
  return std::all_of(filter.predicates.begin(), filter.predicates.end(), test) &&
         std::all_of(filter.clauses.begin(), filter.clauses.end(), clause);
}

bool SegmentSelected(const ConversationDetailQuery& query, const Participant& leg,
                     const Segment& segment) {
  return std::all_of(query.segment_filters.begin(), query.segment_filters.end(),
                     [&](const DetailFilter& filter) {
                       return Satisfies(filter, [&](const DetailPredicate& p) {
                         return Holds(p, leg, segment);
                       });
                     });
}

// The UTC days the interval touches, as [first day's midnight, the midnight after the last).
std::pair<TimePoint, TimePoint> DaysTouched(TimePoint start, TimePoint end) {
  using Days = std::chrono::days;
  const auto first = std::chrono::floor<Days>(start);
  const auto last = std::chrono::floor<Days>(end - std::chrono::milliseconds(1));
  return {TimePoint(first), TimePoint(last + Days(1))};
}

// `days`: DaysTouched of the query's interval, worked out once per query.
bool Selected(const ConversationDetailQuery& query, const std::pair<TimePoint, TimePoint>& days,
              const Conversation& conv) {
  if (conv.start_time < days.first || conv.start_time >= days.second) return false;
  for (const DetailFilter& filter : query.conversation_filters) {
    if (!Satisfies(filter, [&](const DetailPredicate& p) { return Holds(p, conv); })) return false;
  }
  for (const DetailFilter& filter : query.segment_filters) {
    const bool found = std::any_of(
        conv.participants.begin(), conv.participants.end(), [&](const Participant* leg) {
          return std::any_of(leg->segments.begin(), leg->segments.end(), [&](const Segment& s) {
            return Satisfies(filter, [&](const DetailPredicate& p) { return Holds(p, *leg, s); });
          });
        });
    if (!found) return false;
  }
  return true;
}

// The time a conversation sorts by under `query`'s orderBy; empty: it has none (sorts last).
std::optional<TimePoint> SortKey(const ConversationDetailQuery& query, const Conversation& conv) {
  switch (query.order_by) {
    case DetailOrderBy::kConversationStart:
      return conv.start_time;
    case DetailOrderBy::kConversationEnd:
      return conv.end_time;
    case DetailOrderBy::kSegmentStart:
    case DetailOrderBy::kSegmentEnd:
      break;
  }
  std::optional<TimePoint> key;
  for (const Participant* leg : conv.participants) {
    for (const Segment& s : leg->segments) {
      if (!SegmentSelected(query, *leg, s)) continue;
      const OptionalTime t = query.order_by == DetailOrderBy::kSegmentStart ? s.start : s.end;
      if (t && (!key || *t < *key)) key = t;
    }
  }
  return key;
}

// Where every conversation `query` matches is in world.ConversationsByStart(), in its order.
DetailMatches MatchAll(const WorldView& world, const ConversationDetailQuery& query) {
  const auto& all = world.ConversationsByStart();
  const std::pair<TimePoint, TimePoint> days = DaysTouched(query.start, query.end);
  DetailMatches matched;
  if (query.order_by == DetailOrderBy::kConversationStart) {
    for (size_t i = 0; i < all.size(); ++i) {
      if (Selected(query, days, *all[i])) matched.push_back(static_cast<uint32_t>(i));
    }
    if (query.descending) std::reverse(matched.begin(), matched.end());
    return matched;
  }
  // Sorted by a key the world keeps no index of: collect, then sort (ties: by start).
  std::vector<std::pair<std::optional<TimePoint>, uint32_t>> keyed;
  for (size_t i = 0; i < all.size(); ++i) {
    if (Selected(query, days, *all[i])) {
      keyed.emplace_back(SortKey(query, *all[i]), static_cast<uint32_t>(i));
    }
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
    if (!a.first) return false;
    return query.descending ? *b.first < *a.first : *a.first < *b.first;
  });
  matched.reserve(keyed.size());
  for (const auto& [key, position] : keyed) matched.push_back(position);
  return matched;
}

// The query as the cache files it: every page of it alike.
ConversationDetailQuery WithoutPaging(ConversationDetailQuery query) {
  query.page_size = 0;
  query.page_number = 0;
  return query;
}

}  // namespace

QueueObservation ObserveQueue(const WorldView& world, const std::string& queue_id) {
  QueueObservation out;
  const std::vector<const Conversation*>& conversations = world.ConversationsByStart();
  // Each conversation, its list of legs and the legs are cache misses in a large world: ask for
  // each some conversations ahead, a stage at a time, so that the misses overlap.
  constexpr size_t kAhead = 8;
  const auto ahead = [&](size_t i, size_t stages) -> const Conversation* {
    return i + stages * kAhead < conversations.size() ? conversations[i + stages * kAhead]
                                                      : nullptr;
  };
  for (size_t i = 0; i < conversations.size(); ++i) {
    if (const Conversation* conv = ahead(i, 3)) __builtin_prefetch(&conv->participants);
    if (const Conversation* conv = ahead(i, 2)) __builtin_prefetch(conv->participants.data());
    if (const Conversation* conv = ahead(i, 1)) {
      for (const Participant* leg : conv->participants) {
        __builtin_prefetch(&leg->queue_id);
        __builtin_prefetch(&leg->state);
      }
    }
    const Conversation* conv = conversations[i];
    if (conv->end_time) continue;
    const Participant* acd_waiting = nullptr;
    bool staffed = false;
    for (const Participant* leg : conv->participants) {
      const bool works_calls = leg->purpose == Purpose::kAgent || leg->purpose == Purpose::kUser;
      if (leg->state == LegState::kAlerting && works_calls && leg->queue_id == queue_id) {
        out.alerting.push_back(leg);
      }
      if (leg->state != LegState::kConnected) continue;
      staffed |= works_calls;
      if (leg->queue_id != queue_id) continue;
      if (works_calls) out.interacting.push_back(leg);
      if (leg->purpose == Purpose::kAcd) acd_waiting = leg;
    }
    if (acd_waiting != nullptr && !staffed) out.waiting.push_back(acd_waiting);
  }
  return out;
}

std::vector<const User*> QueueMembers(const WorldView& world, const Queue& queue) {
  std::vector<const User*> out;
  if (queue.member_ids.empty()) {
    for (const User& user : world.users()) out.push_back(&user);
    return out;
  }
  for (const std::string& id : queue.member_ids) {
    if (const User* user = world.FindUser(id)) out.push_back(user);
  }
  return out;
}

size_t RunDetailQuery(const WorldView& world, const ConversationDetailQuery& query,
                      const std::function<void(const Conversation&)>& on_page,
                      DetailQueryCache* cache) {
  const size_t page_size = static_cast<size_t>(query.page_size);
  const size_t first = static_cast<size_t>(query.page_number - 1) * page_size;
  const auto match_all = [&] { return MatchAll(world, query); };
  const std::shared_ptr<const DetailMatches> matched =
      cache != nullptr
          ? cache->Get(world.generation(), world.now(), WithoutPaging(query), match_all)
          : std::make_shared<const DetailMatches>(match_all());
  // The same view as the positions were found in (the cache's key), so each is still there.
  for (size_t i = first; i < matched->size() && i < first + page_size; ++i) {
    on_page(*world.ConversationByStartAt((*matched)[i]));
  }
  return matched->size();
}

std::string AnalyticsDisconnectType(const std::string& type) {
  static const std::map<std::string, std::string, std::less<>> kRenamed = {
      {"endpoint.donotdisturb", "dndEndpoint"},
      {"transfer.conference", "conferenceTransfer"},
      {"transfer.consult", "consultTransfer"},
      {"transfer.donotdisturb", "dndTransfer"},
      {"transfer.forward", "forwardTransfer"},
      {"transfer.noanswer", "noAnswerTransfer"},
      {"transfer.notavailable", "notAvailableTransfer"},
      {"transport.failure", "transportFailure"},
      {"session.expired", "sessionExpired"},
  };
  const auto it = kRenamed.find(type);
  return it == kRenamed.end() ? type : it->second;
}

bool NumericRange::Contains(double value) const {
  return (!gt || value > *gt) && (!gte || value >= *gte) && (!lt || value < *lt) &&
         (!lte || value <= *lte);
}

std::vector<SessionMetric> SessionMetrics(const Participant& leg) {
  std::vector<SessionMetric> out;
  if (leg.purpose != Purpose::kAgent && leg.purpose != Purpose::kUser) return out;
  for (const Segment& s : leg.segments) {
    if (!s.end) continue;
    std::string_view name;
    switch (s.type) {
      case SegmentType::kAlert:
        name = leg.connected_time ? "tAlert" : "tNotResponding";
        break;
      case SegmentType::kHold:
        name = "tHeld";
        break;
      case SegmentType::kInteract:
        name = "tTalk";
        break;
    }
    out.push_back({name, Millis(*s.end - s.start), *s.end});
  }
  if (leg.start_acw_time && leg.end_acw_time) {
    out.push_back({"tAcw", Millis(*leg.end_acw_time - *leg.start_acw_time), *leg.end_acw_time});
  }
  return out;
}

bool IsSessionMetric(std::string_view name) {
  return name == "tAlert" || name == "tNotResponding" || name == "tTalk" || name == "tHeld" ||
         name == "tAcw";
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

std::vector<UserRoutingStatus> RoutingStatusesOf(const WorldView& world,
                                                 const std::vector<const User*>& users) {
  // What one scan of the world gathers for each user.
  struct Seen {
    std::optional<TimePoint> on_queue_call, other_call;  // since when, the earliest
    const Participant* rang_out = nullptr;  // the user's last leg, when it rang unanswered
    TimePoint idle_since;
  };
  const std::vector<const Conversation*>& conversations = world.ConversationsByStart();
  const TimePoint first = conversations.empty() ? world.now() : conversations.front()->start_time;
  std::vector<Seen> seen(users.size(), Seen{.idle_since = first});
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < users.size(); ++i) index.emplace(users[i]->id, i);
  for (const Conversation* conv : conversations) {
    for (const Participant* leg : conv->participants) {
      if (leg->user_id.empty()) continue;
      const auto it = index.find(leg->user_id);
      if (it == index.end()) continue;
      Seen& user = seen[it->second];
      // After-call work is still the queue's interaction: the agent reads INTERACTING in it.
      const bool in_acw = leg->start_acw_time && !leg->end_acw_time && !leg->queue_id.empty();
      if ((!IsLive(leg->state) && !in_acw) || leg->reads_idle_since) {
        const std::optional<TimePoint> ended = leg->reads_idle_since ? leg->reads_idle_since
                                               : leg->end_acw_time   ? leg->end_acw_time
                                                                     : leg->end_time;
        if (ended && *ended >= user.idle_since) {
          user.idle_since = *ended;
          user.rang_out = leg->disconnect_type == DisconnectType::kTransferNoAnswer ? leg : nullptr;
        }
        continue;
      }
      std::optional<TimePoint>& call = leg->queue_id.empty() ? user.other_call : user.on_queue_call;
      const TimePoint since = leg->connected_time.value_or(leg->start_time);
      call = call ? std::min(*call, since) : since;
    }
  }
  std::vector<UserRoutingStatus> out;
  out.reserve(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    const Seen& user = seen[i];
    if (user.on_queue_call) {
      out.push_back({RoutingStatus::kInteracting, *user.on_queue_call});
    } else if (user.other_call) {
      out.push_back({RoutingStatus::kCommunicating, *user.other_call});
    } else if (user.rang_out != nullptr) {
      out.push_back({RoutingStatus::kNotResponding, user.idle_since});
    } else {
      out.push_back({users[i]->on_queue ? RoutingStatus::kIdle : RoutingStatus::kOffQueue,
                     user.idle_since});
    }
  }
  return out;
}

UserRoutingStatus RoutingStatusOf(const WorldView& world, const User& user) {
  return RoutingStatusesOf(world, {&user}).front();
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
