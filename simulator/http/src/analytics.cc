#include "analytics.h"

#include <algorithm>
#include <initializer_list>
#include <map>
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
};
constexpr DimensionInfo kSegmentDimensions[] = {
    {Dimension::kSegmentType, "segmentType", false},
    {Dimension::kSegmentEnd, "segmentEnd", true},
    {Dimension::kQueueId, "queueId", false},
    {Dimension::kPurpose, "purpose", false},
    {Dimension::kUserId, "userId", false},
    {Dimension::kParticipantId, "participantId", false},
};

Result<Predicate> ParsePredicate(const json& item, const std::string& where,
                                 std::span<const DimensionInfo> dimensions, const char* level) {
  if (!item.is_object()) return BadQuery(where + " must be an object");
  // The type first: a metric predicate's other keys are not the thing to complain about.
  if (item.contains("type")) {
    const json& type = item["type"];
    if (type == "metric" || type == "property") {
      return BadQuery(where + ": " + type.get<std::string>() +
                      " predicates are not supported by gcsim; only dimension predicates");
    }
    if (type != "dimension") return BadQuery(where + ".type must be dimension, property or metric");
  }
  if (Status keys = CheckKeys(item, where, {"type", "dimension", "operator", "value"});
      !keys.ok()) {
    return keys;
  }
  auto name = StringField(item, "dimension", where);
  if (!name.ok()) return name.status();
  std::vector<std::string_view> supported;
  const DimensionInfo* info = nullptr;
  for (const DimensionInfo& candidate : dimensions) {
    supported.push_back(candidate.name);
    if (candidate.name == *name) info = &candidate;
  }
  if (info == nullptr) {
    return BadQuery(where + ": dimension " + *name + " is not supported by gcsim in " + level +
                    " (supported: " + Join(supported, ", ") + ")");
  }
  Predicate predicate{.dimension = info->dimension};
  std::string op = "matches";
  if (item.contains("operator")) {
    if (!item["operator"].is_string()) return BadQuery(where + ".operator must be a string");
    op = item["operator"].get<std::string>();
  }
  if (op == "matches") {
    predicate.op = Operator::kMatches;
  } else if (op == "exists") {
    predicate.op = Operator::kExists;
  } else if (op == "notExists") {
    predicate.op = Operator::kNotExists;
  } else {
    return BadQuery(where + ": operator " + op +
                    " is not supported (supported: matches, exists, notExists)");
  }
  if (info->presence && predicate.op == Operator::kMatches) {
    return BadQuery(where + ": operator matches on dimension " + *name +
                    " is not supported by gcsim (use exists or notExists)");
  }
  if (!info->presence && predicate.op != Operator::kMatches) {
    return BadQuery(where + ": operator " + op + " on dimension " + *name +
                    " is not supported by gcsim (use matches)");
  }
  if (predicate.op == Operator::kMatches) {
    auto value = StringField(item, "value", where);
    if (!value.ok()) return value.status();
    predicate.value = *value;
  }
  return predicate;
}

Result<std::vector<Filter>> ParseFilters(const json& query, const char* key,
                                         std::span<const DimensionInfo> dimensions) {
  std::vector<Filter> filters;
  const auto it = query.find(key);
  if (it == query.end()) return filters;
  if (!it->is_array()) return BadQuery(std::string(key) + " must be an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (!item.is_object()) return BadQuery(where + " must be an object");
    if (Status keys = CheckKeys(item, where, {"type", "predicates"}); !keys.ok()) return keys;
    auto type = StringField(item, "type", where);
    if (!type.ok()) return type.status();
    if (*type != "and" && *type != "or") return BadQuery(where + ".type must be and or or");
    Filter filter{.any = *type == "or"};
    const auto predicates = item.find("predicates");
    if (predicates == item.end() || !predicates->is_array() || predicates->empty()) {
      return BadQuery(where + ".predicates must be a non-empty array");
    }
    for (size_t j = 0; j < predicates->size(); ++j) {
      auto predicate = ParsePredicate(
          (*predicates)[j], where + ".predicates[" + std::to_string(j) + "]", dimensions, key);
      if (!predicate.ok()) return predicate.status();
      filter.predicates.push_back(std::move(*predicate));
    }
    filters.push_back(std::move(filter));
  }
  return filters;
}

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

  auto conversation_filters = ParseFilters(query, "conversationFilters", kConversationDimensions);
  if (!conversation_filters.ok()) return conversation_filters.status();
  out.conversation_filters = std::move(*conversation_filters);
  auto segment_filters = ParseFilters(query, "segmentFilters", kSegmentDimensions);
  if (!segment_filters.ok()) return segment_filters.status();
  out.segment_filters = std::move(*segment_filters);

  if (query.contains("order")) {
    const json& order = query["order"];
    if (order != "asc" && order != "desc" && order != "unordered") {
      return BadQuery("order must be asc or desc");
    }
    out.descending = order == "desc";
  }
  if (query.contains("orderBy") && query["orderBy"] != "conversationStart") {
    return BadQuery("orderBy " +
                    (query["orderBy"].is_string() ? query["orderBy"].get<std::string>()
                                                  : query["orderBy"].dump()) +
                    " is not supported by gcsim (supported: conversationStart)");
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
          number.get<long long>() > 1'000'000'000) {
        return BadQuery("paging.pageNumber must be a whole number of at least 1");
      }
      out.page_number = number.get<int>();
    }
  }
  return out;
}

// Analytics spells disconnect types in camelCase where the conversation API uses dots.
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
      json segment = {{"segmentType", s.type}, {"segmentStart", FormatIso8601(s.start)}};
      if (s.end) segment["segmentEnd"] = FormatIso8601(*s.end);
      if (!leg->queue_id.empty()) segment["queueId"] = leg->queue_id;
      if (i + 1 == leg->segments.size() && !leg->disconnect_type.empty()) {
        segment["disconnectType"] = AnalyticsDisconnectType(leg->disconnect_type);
      }
      if (s.audio_muted) segment["audioMuted"] = true;
      if (conference) segment["conference"] = true;
      segments.push_back(std::move(segment));
    }
    json participant = {{"participantId", leg->id},
                        {"purpose", core::ToString(leg->purpose)},
                        {"sessions", json::array({{{"mediaType", "voice"},
                                                   {"sessionId", leg->id},
                                                   {"direction", leg->direction},
                                                   {"segments", std::move(segments)}}})}};
    if (!leg->name.empty()) participant["participantName"] = leg->name;
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

constexpr std::string_view kInteracting = "oInteracting";
constexpr std::string_view kWaiting = "oWaiting";

struct ObservationQuery {
  std::vector<std::string> queue_ids;  // empty: an and-filter no queue can satisfy
  std::vector<std::string> metrics;
};

Result<ObservationQuery> ParseObservationQuery(const json& query) {
  if (!query.is_object()) return BadQuery("The query must be a JSON object.");
  if (Status keys = CheckKeys(query, "", {"filter", "metrics"}); !keys.ok()) return keys;
  ObservationQuery out;
  const auto filter = query.find("filter");
  if (filter == query.end() || !filter->is_object()) {
    return BadQuery("filter is required (an object)");
  }
  if (Status keys = CheckKeys(*filter, "filter", {"type", "predicates"}); !keys.ok()) return keys;
  auto type = StringField(*filter, "type", "filter");
  if (!type.ok()) return type.status();
  if (*type != "and" && *type != "or") return BadQuery("filter.type must be and or or");
  const auto predicates = filter->find("predicates");
  if (predicates == filter->end() || !predicates->is_array()) {
    return BadQuery("filter.predicates must be an array");
  }
  for (size_t i = 0; i < predicates->size(); ++i) {
    const json& item = (*predicates)[i];
    const std::string where = "filter.predicates[" + std::to_string(i) + "]";
    if (!item.is_object()) return BadQuery(where + " must be an object");
    if (Status keys = CheckKeys(item, where, {"type", "dimension", "operator", "value"});
        !keys.ok()) {
      return keys;
    }
    if (item.contains("type") && item["type"] != "dimension") {
      return BadQuery(where + ": only dimension predicates are supported by gcsim");
    }
    if (item.contains("operator") && item["operator"] != "matches") {
      return BadQuery(where + ": only the matches operator is supported by gcsim");
    }
    auto dimension = StringField(item, "dimension", where);
    if (!dimension.ok()) return dimension.status();
    auto value = StringField(item, "value", where);
    if (!value.ok()) return value.status();
    if (*dimension == "mediaType") {
      if (*value != "voice") {
        return BadQuery(where + ": mediaType " + *value +
                        " is not supported by gcsim (voice only)");
      }
    } else if (*dimension == "queueId") {
      if (std::find(out.queue_ids.begin(), out.queue_ids.end(), *value) == out.queue_ids.end()) {
        out.queue_ids.push_back(*value);
      }
    } else {
      return BadQuery(where + ": dimension " + *dimension +
                      " is not supported by gcsim (supported: queueId, mediaType)");
    }
  }
  if (out.queue_ids.empty()) return BadQuery("filter needs at least one queueId predicate");
  // Two different queues can never both be a result's queue.
  if (*type == "and" && out.queue_ids.size() > 1) out.queue_ids.clear();

  const auto metrics = query.find("metrics");
  if (metrics == query.end() || !metrics->is_array() || metrics->empty()) {
    return BadQuery("metrics must be a non-empty array");
  }
  std::vector<std::string> unsupported;
  for (const json& metric : *metrics) {
    if (!metric.is_string()) return BadQuery("metrics must be an array of strings");
    const std::string name = metric.get<std::string>();
    if (name != kInteracting && name != kWaiting) {
      unsupported.push_back(name);
    } else if (std::find(out.metrics.begin(), out.metrics.end(), name) == out.metrics.end()) {
      out.metrics.push_back(name);
    }
  }
  if (!unsupported.empty()) {
    return BadQuery("metrics " + Join(unsupported, ", ") +
                    " not supported by gcsim (supported: oInteracting, oWaiting)");
  }
  return out;
}

}  // namespace

Result<json> QueryConversationDetails(const core::Simulator& sim, const json& body,
                                      Duration stale_lag) {
  auto query = ParseDetailQuery(body);
  if (!query.ok()) return query.status();
  json conversations = json::array();
  size_t total = 0;
  ReadWorld(sim, Reads::kAnalytics, stale_lag, [&](const core::WorldView& world) {
    total = core::RunDetailQuery(world, *query, [&](const core::Conversation& conv) {
      conversations.push_back(AnalyticsConversationJson(conv));
    });
  });
  json out = {{"totalHits", total}};
  // The real API leaves `conversations` out when there are none.
  if (!conversations.empty()) out["conversations"] = std::move(conversations);
  return out;
}

Result<json> QueryQueueObservations(const core::Simulator& sim, const json& body,
                                    Duration stale_lag) {
  auto query = ParseObservationQuery(body);
  if (!query.ok()) return query.status();
  json results = json::array();
  ReadWorld(sim, Reads::kAnalytics, stale_lag, [&](const core::WorldView& world) {
    for (const std::string& queue_id : query->queue_ids) {
      const core::QueueObservation observed = core::ObserveQueue(world, queue_id);
      json data = json::array();
      for (const std::string& metric : query->metrics) {
        const int count = metric == kInteracting ? observed.interacting : observed.waiting;
        data.push_back({{"metric", metric}, {"stats", {{"count", count}}}});
      }
      results.push_back(
          {{"group", {{"queueId", queue_id}, {"mediaType", "voice"}}}, {"data", std::move(data)}});
    }
  });
  return json{{"results", std::move(results)}};
}

}  // namespace gcsim::http
