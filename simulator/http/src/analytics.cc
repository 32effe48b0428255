#include "analytics.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string_view>

#include "exchange.h"
#include "gcsim/common/strings.h"
#include "gcsim/core/api_errors.h"
#include "gcsim/core/queries.h"

namespace gcsim::http {
namespace {

using nlohmann::json;

constexpr int kMaxPageSize = 100;

Status BadQuery(std::string message) {
  return core::ApiStatus(core::codes::kBadRequest, std::move(message));
}

// Refuses the first key of `object` that gcsim does not read: it would otherwise be ignored and
// the answer would pretend to honour it.
Status CheckKeys(const json& object, const std::string& where,
                 std::initializer_list<std::string_view> known) {
  for (const auto& [key, unused] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return BadQuery(where + (where.empty() ? "" : ".") + key +
                      " is not supported by gcsim (supported" +
                      (where.empty() ? "" : " in " + where) + ": " + Join(known, ", ") + ")");
    }
  }
  return Status::Ok();
}

// A whole string as a finite number ("30000", "1.5e3").
bool ParseNumber(const std::string& text, double& out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

Result<std::string> StringField(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return BadQuery(where + "." + key + " is required");
  if (!it->is_string()) return BadQuery(where + "." + key + " must be a string");
  return it->get<std::string>();
}

// --- conversation details query -------------------------------------------------------------

using Dimension = core::DetailPredicate::Dimension;
using Operator = core::DetailPredicate::Operator;
using Predicate = core::DetailPredicate;
using Filter = core::DetailFilter;
using DetailQuery = core::ConversationDetailQuery;

struct DimensionInfo {
  Dimension dimension;
  std::string_view name;
  bool presence;  // true: a time that exists or not (exists/notExists); false: a value (matches)
};
constexpr DimensionInfo kConversationDimensions[] = {
    {Dimension::kConversationEnd, "conversationEnd", true},
    {Dimension::kConversationId, "conversationId", false},
    {Dimension::kOriginatingDirection, "originatingDirection", false},
};
constexpr DimensionInfo kSegmentDimensions[] = {
    {Dimension::kSegmentType, "segmentType", false},
    {Dimension::kSegmentEnd, "segmentEnd", true},
    {Dimension::kQueueId, "queueId", false},
    {Dimension::kPurpose, "purpose", false},
    {Dimension::kUserId, "userId", false},
    {Dimension::kParticipantId, "participantId", false},
    {Dimension::kMediaType, "mediaType", false},
    {Dimension::kDirection, "direction", false},
    {Dimension::kDisconnectType, "disconnectType", false},
};

// Which filters a predicate sits in: they name different dimensions and metrics.
enum class Level { kConversation, kSegment };

Result<Operator> ParseOperator(const json& item, const std::string& where) {
  if (!item.contains("operator")) return Operator::kMatches;
  const json& op = item["operator"];
  if (op == "matches") return Operator::kMatches;
  if (op == "exists") return Operator::kExists;
  if (op == "notExists") return Operator::kNotExists;
  return BadQuery(where + ".operator must be matches, exists or notExists");
}

// A metric predicate's right-hand side: `range` (NumericRange) or `value`, a number as a string.
Result<core::NumericRange> ParseRange(const json& item, const std::string& where) {
  core::NumericRange range;
  if (item.contains("value")) {
    const json& value = item["value"];
    double number = 0;
    if (!value.is_string() || !ParseNumber(value.get<std::string>(), number)) {
      return BadQuery(where + ".value must be a number written as a string, e.g. \"30000\"");
    }
    range.gte = range.lte = number;
  }
  if (item.contains("range")) {
    const json& bounds = item["range"];
    if (!bounds.is_object() || bounds.empty()) {
      return BadQuery(where + ".range must be an object with gt, gte, lt or lte");
    }
    if (Status keys = CheckKeys(bounds, where + ".range", {"gt", "gte", "lt", "lte"}); !keys.ok()) {
      return keys;
    }
    for (const auto& [key, bound] : bounds.items()) {
      if (!bound.is_number()) return BadQuery(where + ".range." + key + " must be a number");
      const double number = bound.get<double>();
      if (key == "gt") range.gt = number;
      if (key == "gte") range.gte = number;
      if (key == "lt") range.lt = number;
      if (key == "lte") range.lte = number;
    }
  }
  if (!item.contains("value") && !item.contains("range")) {
    return BadQuery(where + ": a metric predicate with operator matches needs a range or a value");
  }
  return range;
}

Result<Predicate> ParseMetricPredicate(const json& item, const std::string& where, Level level) {
  if (Status keys = CheckKeys(item, where, {"type", "metric", "operator", "value", "range"});
      !keys.ok()) {
    return keys;
  }
  auto metric = StringField(item, "metric", where);
  if (!metric.ok()) return metric.status();
  Predicate predicate;
  if (level == Level::kSegment) {
    if (*metric != "tSegmentDuration") {
      return BadQuery(where + ": metric " + *metric +
                      " is not supported by gcsim in segmentFilters (supported: tSegmentDuration)");
    }
    predicate.dimension = Dimension::kSegmentDuration;
  } else {
    if (!core::IsSessionMetric(*metric)) {
      return BadQuery(where + ": metric " + *metric +
                      " is not supported by gcsim in conversationFilters (supported: tAlert, "
                      "tNotResponding, tTalk, tHeld, tAcw)");
    }
    predicate.dimension = Dimension::kConversationMetric;
    predicate.metric = *metric;
  }
  auto op = ParseOperator(item, where);
  if (!op.ok()) return op.status();
  predicate.op = *op;
  if (predicate.op == Operator::kMatches) {
    auto range = ParseRange(item, where);
    if (!range.ok()) return range.status();
    predicate.range = *range;
  }
  return predicate;
}

Result<Predicate> ParsePredicate(const json& item, const std::string& where, Level level) {
  if (!item.is_object()) return BadQuery(where + " must be an object");
  // The type first: a property predicate's other keys are not the thing to complain about.
  if (item.contains("type")) {
    const json& type = item["type"];
    if (type == "property") {
      return BadQuery(where + ": property predicates are not supported by gcsim; only dimension "
                              "and metric predicates");
    }
    if (type == "metric") return ParseMetricPredicate(item, where, level);
    if (type != "dimension") return BadQuery(where + ".type must be dimension, property or metric");
  } else if (item.contains("metric")) {
    return ParseMetricPredicate(item, where, level);  // the type, inferred
  }
  if (Status keys = CheckKeys(item, where, {"type", "dimension", "operator", "value"});
      !keys.ok()) {
    return keys;
  }
  auto name = StringField(item, "dimension", where);
  if (!name.ok()) return name.status();
  const std::span<const DimensionInfo> dimensions =
      level == Level::kSegment ? std::span<const DimensionInfo>(kSegmentDimensions)
                               : std::span<const DimensionInfo>(kConversationDimensions);
  const char* filters = level == Level::kSegment ? "segmentFilters" : "conversationFilters";
  std::vector<std::string_view> supported;
  const DimensionInfo* info = nullptr;
  for (const DimensionInfo& candidate : dimensions) {
    supported.push_back(candidate.name);
    if (candidate.name == *name) info = &candidate;
  }
  if (info == nullptr) {
    return BadQuery(where + ": dimension " + *name + " is not supported by gcsim in " + filters +
                    " (supported: " + Join(supported, ", ") + ")");
  }
  Predicate predicate{.dimension = info->dimension};
  auto op = ParseOperator(item, where);
  if (!op.ok()) return op.status();
  predicate.op = *op;
  const bool presence_only = info->presence;
  // disconnectType is a value that a leg carries only once it has left: both kinds work.
  const bool both = info->dimension == Dimension::kDisconnectType;
  if (presence_only && predicate.op == Operator::kMatches) {
    return BadQuery(where + ": operator matches on dimension " + *name +
                    " is not supported by gcsim (use exists or notExists)");
  }
  if (!presence_only && !both && predicate.op != Operator::kMatches) {
    return BadQuery(where + ": operator " + item["operator"].get<std::string>() +
                    " on dimension " + *name + " is not supported by gcsim (use matches)");
  }
  if (predicate.op == Operator::kMatches) {
    auto value = StringField(item, "value", where);
    if (!value.ok()) return value.status();
    predicate.value = *value;
  }
  return predicate;
}

// A filter or, one level down, a clause: {type: and|or, predicates[], clauses[]}, of either
// query. `read` reads one predicate ((item, where) -> Result<predicate>).
template <typename FilterT, typename ReadPredicate>
Result<FilterT> ParseBooleanFilter(const json& item, const std::string& where, bool is_clause,
                                   const ReadPredicate& read) {
  if (!item.is_object()) return BadQuery(where + " must be an object");
  if (Status keys = is_clause ? CheckKeys(item, where, {"type", "predicates"})
                              : CheckKeys(item, where, {"type", "predicates", "clauses"});
      !keys.ok()) {
    return keys;
  }
  auto type = StringField(item, "type", where);
  if (!type.ok()) return type.status();
  if (*type != "and" && *type != "or") return BadQuery(where + ".type must be and or or");
  FilterT filter{.any = *type == "or"};
  for (const char* key : {"predicates", "clauses"}) {
    const auto list = item.find(key);
    if (list == item.end()) continue;
    if (!list->is_array()) return BadQuery(where + "." + key + " must be an array");
    for (size_t j = 0; j < list->size(); ++j) {
      const std::string at = where + "." + key + "[" + std::to_string(j) + "]";
      if (std::string_view(key) == "predicates") {
        auto predicate = read((*list)[j], at);
        if (!predicate.ok()) return predicate.status();
        filter.predicates.push_back(std::move(*predicate));
      } else {
        auto clause = ParseBooleanFilter<FilterT>((*list)[j], at, /*is_clause=*/true, read);
        if (!clause.ok()) return clause.status();
        filter.clauses.push_back(std::move(*clause));
      }
    }
  }
  if (filter.predicates.empty() && filter.clauses.empty()) {
    return BadQuery(where + (is_clause ? ".predicates must be a non-empty array"
                                       : " needs at least one predicate or clause"));
  }
  return filter;
}

Result<std::vector<Filter>> ParseFilters(const json& query, const char* key, Level level) {
  std::vector<Filter> filters;
  const auto it = query.find(key);
  if (it == query.end()) return filters;
  if (!it->is_array()) return BadQuery(std::string(key) + " must be an array");
  for (size_t i = 0; i < it->size(); ++i) {
    auto filter = ParseBooleanFilter<Filter>(
        (*it)[i], std::string(key) + "[" + std::to_string(i) + "]", /*is_clause=*/false,
        [level](const json& predicate, const std::string& at) {
          return ParsePredicate(predicate, at, level);
        });
    if (!filter.ok()) return filter.status();
    filters.push_back(std::move(*filter));
  }
  return filters;
}

// The longest interval the details query allows: the developer docs' figures.
constexpr auto kMaxIntervalUnfiltered = std::chrono::days(7);
constexpr auto kMaxIntervalFiltered = std::chrono::days(31);

Result<DetailQuery> ParseDetailQuery(const json& query) {
  if (!query.is_object()) return BadQuery("The query must be a JSON object.");
  if (Status keys = CheckKeys(
          query, "",
          {"interval", "conversationFilters", "segmentFilters", "order", "orderBy", "paging"});
      !keys.ok()) {
    return keys;
  }
  DetailQuery out;
  auto interval = StringField(query, "interval", "query");
  if (!interval.ok()) return interval.status();
  const size_t slash = interval->find('/');
  const auto start = ParseIso8601(std::string_view(*interval).substr(0, slash));
  const auto end = slash == std::string::npos
                       ? Result<TimePoint>(InvalidArgumentError("no end"))
                       : ParseIso8601(std::string_view(*interval).substr(slash + 1));
  if (!start.ok() || !end.ok() || *end <= *start) {
    return core::ApiStatus(core::codes::kInvalidDate,
                           "interval [" + *interval +
                               "] must be start/end in ISO-8601 with the end after the start, e.g. "
                               "2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z");
  }
  out.start = *start;
  out.end = *end;

  auto conversation_filters = ParseFilters(query, "conversationFilters", Level::kConversation);
  if (!conversation_filters.ok()) return conversation_filters.status();
  out.conversation_filters = std::move(*conversation_filters);
  auto segment_filters = ParseFilters(query, "segmentFilters", Level::kSegment);
  if (!segment_filters.ok()) return segment_filters.status();
  out.segment_filters = std::move(*segment_filters);

  if (query.contains("order")) {
    const json& order = query["order"];
    if (order != "asc" && order != "desc" && order != "unordered") {
      return BadQuery("order must be asc or desc");
    }
    out.descending = order == "desc";
  }
  if (query.contains("orderBy")) {
    static constexpr std::pair<std::string_view, core::DetailOrderBy> kOrders[] = {
        {"conversationStart", core::DetailOrderBy::kConversationStart},
        {"conversationEnd", core::DetailOrderBy::kConversationEnd},
        {"segmentStart", core::DetailOrderBy::kSegmentStart},
        {"segmentEnd", core::DetailOrderBy::kSegmentEnd},
    };
    const json& order_by = query["orderBy"];
    const auto known = std::find_if(std::begin(kOrders), std::end(kOrders), [&](const auto& o) {
      return order_by.is_string() && order_by.get<std::string>() == o.first;
    });
    if (known == std::end(kOrders)) {
      return BadQuery("orderBy " + order_by.dump() +
                      " is not one of conversationStart, conversationEnd, segmentStart, segmentEnd");
    }
    out.order_by = known->second;
  }
  const bool filtered = !out.conversation_filters.empty() || !out.segment_filters.empty();
  if (out.end - out.start > (filtered ? kMaxIntervalFiltered : kMaxIntervalUnfiltered)) {
    return BadQuery("interval [" + *interval + "] is too long: the details query allows " +
                    (filtered ? "31 days" : "7 days without filters (31 days with a filter)"));
  }
  if (query.contains("paging")) {
    const json& paging = query["paging"];
    if (!paging.is_object()) return BadQuery("paging must be an object");
    if (Status keys = CheckKeys(paging, "paging", {"pageSize", "pageNumber"}); !keys.ok()) {
      return keys;
    }
    if (paging.contains("pageSize")) {
      const json& size = paging["pageSize"];
      if (!size.is_number_integer() || size.get<long long>() < 1 ||
          size.get<long long>() > kMaxPageSize) {
        return BadQuery("paging.pageSize must be a whole number from 1 to " +
                        std::to_string(kMaxPageSize));
      }
      out.page_size = size.get<int>();
    }
    if (paging.contains("pageNumber")) {
      const json& number = paging["pageNumber"];
      if (!number.is_number_integer() || number.get<long long>() < 1 ||
          number.get<long long>() > kMaxPageNumber) {
        return BadQuery("paging.pageNumber must be a whole number from 1 to " +
                        std::to_string(kMaxPageNumber));
      }
      out.page_number = number.get<int>();
    }
  }
  return out;
}

// Every participant and segment of a selected conversation, as the real API returns them.
// `conference` marks a bridge: three or more people have been on the call.
json AnalyticsConversationJson(const core::Conversation& conv) {
  const auto people =
      std::count_if(conv.participants.begin(), conv.participants.end(),
                    [](const core::Participant* p) { return core::IsHuman(p->purpose); });
  const bool conference = people >= 3;
  json participants = json::array();
  for (const core::Participant* leg : conv.participants) {
    json segments = json::array();
    for (size_t i = 0; i < leg->segments.size(); ++i) {
      const core::Segment& s = leg->segments[i];
      json segment = {{"segmentType", core::ToString(s.type)}, {"segmentStart", FormatIso8601(s.start)}};
      if (s.end) segment["segmentEnd"] = FormatIso8601(*s.end);
      if (!leg->queue_id.empty()) segment["queueId"] = leg->queue_id;
      if (i + 1 == leg->segments.size() && leg->disconnect_type != core::DisconnectType::kNone) {
        segment["disconnectType"] = core::AnalyticsDisconnectType(core::ToString(leg->disconnect_type));
      }
      if (s.audio_muted) segment["audioMuted"] = true;
      if (conference) segment["conference"] = true;
      segments.push_back(std::move(segment));
    }
    json session = {{"mediaType", "voice"},
                    {"sessionId", leg->id},
                    {"direction", core::ToString(leg->direction)},
                    {"segments", std::move(segments)}};
    if (const auto metrics = core::SessionMetrics(*leg); !metrics.empty()) {
      json& out = session["metrics"];
      for (const core::SessionMetric& m : metrics) {
        out.push_back({{"name", m.name}, {"value", m.value_ms}, {"emitDate", FormatIso8601(m.emitted)}});
      }
    }
    json participant = {{"participantId", leg->id},
                        {"purpose", core::ToString(leg->purpose)},
                        {"sessions", json::array({std::move(session)})}};
    if (!leg->name.empty()) participant["participantName"] = leg->name.str();
    if (!leg->user_id.empty()) participant["userId"] = leg->user_id;
    participants.push_back(std::move(participant));
  }
  json out = {{"conversationId", conv.id},
              {"conversationStart", FormatIso8601(conv.start_time)},
              {"participants", std::move(participants)}};
  if (conv.end_time) out["conversationEnd"] = FormatIso8601(*conv.end_time);
  return out;
}

// --- queue observations ---------------------------------------------------------------------

// The metrics gcsim observes. Conversation counts can list their observations (detailMetrics);
// user counts split by routing status (each status a `qualifier`).
constexpr std::string_view kInteracting = "oInteracting";
constexpr std::string_view kWaiting = "oWaiting";
constexpr std::string_view kAlerting = "oAlerting";
constexpr std::string_view kMemberUsers = "oMemberUsers";
constexpr std::string_view kActiveUsers = "oActiveUsers";
constexpr std::string_view kOnQueueUsers = "oOnQueueUsers";
constexpr std::string_view kUserRoutingStatuses = "oUserRoutingStatuses";
constexpr std::string_view kObservedMetrics[] = {kInteracting,  kWaiting,      kAlerting,
                                                 kMemberUsers,  kActiveUsers,  kOnQueueUsers,
                                                 kUserRoutingStatuses};
constexpr std::string_view kDetailedMetrics[] = {kInteracting, kWaiting, kAlerting};

// One group's dimension predicate: queueId or mediaType (voice is the only media gcsim has).
struct ObservationPredicate {
  bool on_queue_id = true;
  std::string value;
};
struct ObservationFilter {
  bool any = false;
  std::vector<ObservationPredicate> predicates;
  std::vector<ObservationFilter> clauses;
  bool Holds(const std::string& queue_id) const {
    const auto holds = [&](const ObservationPredicate& p) {
      return p.on_queue_id ? p.value == queue_id : p.value == "voice";
    };
    const auto clause = [&](const ObservationFilter& c) { return c.Holds(queue_id); };
    return any ? std::any_of(predicates.begin(), predicates.end(), holds) ||
                     std::any_of(clauses.begin(), clauses.end(), clause)
               : std::all_of(predicates.begin(), predicates.end(), holds) &&
                     std::all_of(clauses.begin(), clauses.end(), clause);
  }
};

struct ObservationQuery {
  ObservationFilter filter;
  std::vector<std::string> queue_ids;  // every queueId the filter names, in order
  std::vector<std::string> metrics;
  std::vector<std::string> detail_metrics;
};

// One predicate of the observation filter; records the queue ids it names in `query`.
Result<ObservationPredicate> ParseObservationPredicate(const json& p, const std::string& at,
                                                       ObservationQuery& query) {
  if (!p.is_object()) return BadQuery(at + " must be an object");
  if (Status keys = CheckKeys(p, at, {"type", "dimension", "operator", "value"}); !keys.ok()) {
    return keys;
  }
  if (p.contains("type") && p["type"] != "dimension") {
    return BadQuery(at + ": only dimension predicates are supported by gcsim");
  }
  if (p.contains("operator") && p["operator"] != "matches") {
    return BadQuery(at + ": only the matches operator is supported by gcsim");
  }
  auto dimension = StringField(p, "dimension", at);
  if (!dimension.ok()) return dimension.status();
  auto value = StringField(p, "value", at);
  if (!value.ok()) return value.status();
  if (*dimension != "queueId" && *dimension != "mediaType") {
    return BadQuery(at + ": dimension " + *dimension +
                    " is not supported by gcsim (supported: queueId, mediaType)");
  }
  const bool on_queue_id = *dimension == "queueId";
  if (on_queue_id && std::find(query.queue_ids.begin(), query.queue_ids.end(), *value) ==
                         query.queue_ids.end()) {
    query.queue_ids.push_back(*value);
  }
  return ObservationPredicate{on_queue_id, *value};
}

Result<std::vector<std::string>> ParseMetricList(const json& query, const char* key,
                                                 std::span<const std::string_view> known,
                                                 bool required) {
  std::vector<std::string> out;
  const auto list = query.find(key);
  if (list == query.end() && !required) return out;
  if (list == query.end() || !list->is_array() || (required && list->empty())) {
    return BadQuery(std::string(key) + " must be a non-empty array");
  }
  std::vector<std::string> unsupported;
  for (const json& metric : *list) {
    if (!metric.is_string()) return BadQuery(std::string(key) + " must be an array of strings");
    const std::string name = metric.get<std::string>();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      unsupported.push_back(name);
    } else if (std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(name);
    }
  }
  if (!unsupported.empty()) {
    return BadQuery(std::string(key) + " " + Join(unsupported, ", ") +
                    " not supported by gcsim (supported: " + Join(known, ", ") + ")");
  }
  return out;
}

Result<ObservationQuery> ParseObservationQuery(const json& query) {
  if (!query.is_object()) return BadQuery("The query must be a JSON object.");
  if (Status keys = CheckKeys(query, "", {"filter", "metrics", "detailMetrics"}); !keys.ok()) {
    return keys;
  }
  ObservationQuery out;
  const auto filter = query.find("filter");
  if (filter == query.end() || !filter->is_object()) {
    return BadQuery("filter is required (an object)");
  }
  auto parsed = ParseBooleanFilter<ObservationFilter>(
      *filter, "filter", /*is_clause=*/false, [&out](const json& predicate, const std::string& at) {
        return ParseObservationPredicate(predicate, at, out);
      });
  if (!parsed.ok()) return parsed.status();
  out.filter = std::move(*parsed);
  if (out.queue_ids.empty()) return BadQuery("filter needs at least one queueId predicate");
  auto metrics = ParseMetricList(query, "metrics", kObservedMetrics, /*required=*/true);
  if (!metrics.ok()) return metrics.status();
  out.metrics = std::move(*metrics);
  auto details = ParseMetricList(query, "detailMetrics", kDetailedMetrics, /*required=*/false);
  if (!details.ok()) return details.status();
  out.detail_metrics = std::move(*details);
  return out;
}

// One observed conversation (ObservationValue), for detailMetrics.
json ObservationJson(const core::WorldView& world, const core::Participant& leg, TimePoint since) {
  json out = {{"observationDate", FormatIso8601(since)},
              {"conversationId", leg.conversation_id()},
              {"sessionId", leg.id},
              {"direction", core::ToString(leg.direction)}};
  if (!leg.name.empty()) out["participantName"] = leg.name.str();
  if (!leg.user_id.empty()) out["userId"] = leg.user_id;
  // The caller's and the dialled address, as the conversation's first leg shows them.
  if (const core::Conversation* conv = world.FindConversation(leg.conversation_id());
      conv != nullptr && !conv->participants.empty() && !conv->participants.front()->address.empty()) {
    out[conv->participants.front()->direction == core::Direction::kOutbound ? "dnis" : "ani"] =
        conv->participants.front()->address.str();
  }
  return out;
}

// The data of one queue: a count per metric, routing-status metrics split by qualifier (only
// the statuses someone is in; a single count of 0 when nobody is), observations on request.
json ObserveQueueData(const core::WorldView& world, const std::string& queue_id,
                      const ObservationQuery& query) {
  const core::QueueObservation observed = core::ObserveQueue(world, queue_id);
  const core::Queue* queue = world.FindQueue(queue_id);
  std::vector<const core::User*> members;
  if (queue != nullptr) members = core::QueueMembers(world, *queue);
  // Routing statuses cost a scan of the world: only when a metric counts them.
  const bool counts_statuses =
      std::any_of(query.metrics.begin(), query.metrics.end(), [](const std::string& metric) {
        return metric == kOnQueueUsers || metric == kUserRoutingStatuses;
      });
  std::map<std::string, int> by_status;  // routing status -> members in it
  if (counts_statuses) {
    for (const core::UserRoutingStatus& routing : core::RoutingStatusesOf(world, members)) {
      ++by_status[core::ToString(routing.status)];
    }
  }

  json data = json::array();
  for (const std::string& metric : query.metrics) {
    if (metric == kOnQueueUsers || metric == kUserRoutingStatuses) {
      bool any = false;
      for (const auto& [status, count] : by_status) {
        if (metric == kOnQueueUsers && status == "OFF_QUEUE") continue;
        data.push_back({{"metric", metric}, {"qualifier", status}, {"stats", {{"count", count}}}});
        any = true;
      }
      if (!any) data.push_back({{"metric", metric}, {"stats", {{"count", 0}}}});
      continue;
    }
    if (metric == kMemberUsers || metric == kActiveUsers) {
      data.push_back({{"metric", metric}, {"stats", {{"count", members.size()}}}});
      continue;
    }
    const std::vector<const core::Participant*>& legs = metric == kInteracting ? observed.interacting
                                                       : metric == kWaiting    ? observed.waiting
                                                                               : observed.alerting;
    json entry = {{"metric", metric}, {"stats", {{"count", legs.size()}}}};
    if (std::find(query.detail_metrics.begin(), query.detail_metrics.end(), metric) !=
        query.detail_metrics.end()) {
      json& observations = entry["observations"] = json::array();
      for (const core::Participant* leg : legs) {
        const TimePoint since = metric == kAlerting ? leg->start_time
                                                    : leg->connected_time.value_or(leg->start_time);
        observations.push_back(ObservationJson(world, *leg, since));
      }
      entry["truncated"] = false;
    }
    data.push_back(std::move(entry));
  }
  return data;
}

}  // namespace

Result<json> QueryConversationDetails(const core::Simulator& sim, const json& body,
                                      Duration stale_lag, core::DetailQueryCache* pages) {
  auto query = ParseDetailQuery(body);
  if (!query.ok()) return query.status();
  json conversations = json::array();
  size_t total = 0;
  ReadWorld(sim, Reads::kAnalytics, stale_lag, [&](const core::WorldView& world) {
    total = core::RunDetailQuery(world, *query, [&](const core::Conversation& conv) {
      conversations.push_back(AnalyticsConversationJson(conv));
    }, pages);
  });
  json out = {{"totalHits", total}};
  // The real API leaves `conversations` out when there are none.
  if (!conversations.empty()) out["conversations"] = std::move(conversations);
  return out;
}

Result<json> ConversationDetails(const core::Simulator& sim, const std::string& conversation_id,
                                 Duration stale_lag) {
  std::optional<json> found;
  ReadWorld(sim, Reads::kAnalytics, stale_lag, [&](const core::WorldView& world) {
    if (const core::Conversation* conv = world.FindConversation(conversation_id)) {
      found = AnalyticsConversationJson(*conv);
    }
  });
  if (!found) return core::ConversationNotFound(conversation_id);
  return std::move(*found);
}

Result<json> QueryQueueObservations(const core::Simulator& sim, const json& body,
                                    Duration stale_lag) {
  auto query = ParseObservationQuery(body);
  if (!query.ok()) return query.status();
  json results = json::array();
  ReadWorld(sim, Reads::kAnalytics, stale_lag, [&](const core::WorldView& world) {
    for (const std::string& queue_id : query->queue_ids) {
      if (!query->filter.Holds(queue_id)) continue;  // e.g. and-ing two different queues
      results.push_back({{"group", {{"queueId", queue_id}, {"mediaType", "voice"}}},
                         {"data", ObserveQueueData(world, queue_id, *query)}});
    }
  });
  return json{{"results", std::move(results)}};
}

}  // namespace gcsim::http
