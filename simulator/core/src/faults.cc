#include "gcsim/core/faults.h"

#include <set>

#include "gcsim/common/routes.h"
#include "gcsim/core/json_reader.h"

namespace gcsim::core {
namespace {

using nlohmann::json;

std::optional<FaultKind> ParseKind(const std::string& text) {
  if (text == "status") return FaultKind::kStatus;
  if (text == "throttle") return FaultKind::kThrottle;
  if (text == "lostDrop") return FaultKind::kLostDrop;
  if (text == "stuckMedia") return FaultKind::kStuckMedia;
  if (text == "revokeTokens") return FaultKind::kRevokeTokens;
  if (text == "latency") return FaultKind::kLatency;
  if (text == "reset") return FaultKind::kReset;
  if (text == "close") return FaultKind::kClose;
  if (text == "staleAnalytics") return FaultKind::kStaleAnalytics;
  if (text == "staleReads") return FaultKind::kStaleReads;
  return std::nullopt;
}

bool Matches(const std::string& wanted, const std::string& actual) {
  return wanted.empty() || wanted == actual;
}

}  // namespace

const char* ToString(FaultKind kind) {
  switch (kind) {
    case FaultKind::kStatus: return "status";
    case FaultKind::kThrottle: return "throttle";
    case FaultKind::kLostDrop: return "lostDrop";
    case FaultKind::kStuckMedia: return "stuckMedia";
    case FaultKind::kRevokeTokens: return "revokeTokens";
    case FaultKind::kLatency: return "latency";
    case FaultKind::kReset: return "reset";
    case FaultKind::kClose: return "close";
    case FaultKind::kStaleAnalytics: return "staleAnalytics";
    case FaultKind::kStaleReads: return "staleReads";
  }
  return "status";
}

Result<FaultEpisode> ParseFault(const json& value, TimePoint now, const std::string& pointer) {
  if (!value.is_object()) return InvalidArgumentError(pointer + ": a fault must be a JSON object");
  ObjectReader in(value, pointer);
  FaultEpisode episode;
  std::string kind;
  in.String("kind", kind, /*required=*/true);
  if (in.ok()) {
    if (auto parsed = ParseKind(kind)) {
      episode.kind = *parsed;
    } else {
      in.Fail(in.At("kind"), "unknown fault kind \"" + kind +
                                 "\" (gcsim models \"status\", \"throttle\", \"latency\", "
                                 "\"reset\", \"close\", \"lostDrop\", \"stuckMedia\", "
                                 "\"revokeTokens\", \"staleAnalytics\" and \"staleReads\")");
    }
  }
  // A selector no request can match would make the episode silently never befall one.
  in.String("method", episode.select.method);
  static const std::set<std::string> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
  if (in.ok() && !episode.select.method.empty() && !kMethods.count(episode.select.method)) {
    in.Fail(in.At("method"), "\"" + episode.select.method +
                                 "\" is no method gcsim serves (GET, HEAD, POST, PUT, PATCH or "
                                 "DELETE)");
  }
  in.String("route", episode.select.route);
  if (in.ok() && !episode.select.route.empty() && !routes::IsServed(episode.select.route)) {
    // An episode on a route no request has would never fire, and say nothing.
    in.Fail(in.At("route"),
            "\"" + episode.select.route +
                "\" is no route gcsim serves; give its template as the journal shows it, such "
                "as \"/api/v2/conversations/{conversationId}\"");
  }
  in.String("clientId", episode.select.client_id);
  in.Id("conversationId", episode.select.conversation_id);
  in.Id("participantId", episode.select.participant_id);
  Duration from{};
  in.DurationField("from", from);
  episode.from = now + from;
  if (value.contains("until")) {
    Duration until{};
    in.DurationField("until", until);
    if (in.ok() && until <= from) in.Fail(in.At("until"), "must be after from");
    episode.until = now + until;
  }
  if (value.contains("count")) {
    int count = 0;
    in.Int("count", count, 1);
    episode.count = count;
  }
  if (const json* p = in.Get("probability")) {
    if (!p->is_number() || p->get<double>() <= 0 || p->get<double>() > 1) {
      in.Fail(in.At("probability"), "expected a number in (0, 1]");
    } else {
      episode.probability = p->get<double>();
    }
  }
  in.Int("status", episode.status, 100);
  if (in.ok() && value.contains("status") && episode.kind != FaultKind::kStatus) {
    in.Fail(in.At("status"), "only a \"status\" fault has a status");
  }
  if (in.ok() && episode.kind == FaultKind::kStatus && episode.status != 500 &&
      episode.status != 502 && episode.status != 503 && episode.status != 504) {
    in.Fail(in.At("status"), "expected 500, 502, 503 or 504");
  }
  if (value.contains("retryAfter")) {
    Duration retry_after{};
    in.DurationField("retryAfter", retry_after);
    episode.retry_after = retry_after;
    if (in.ok() && episode.kind == FaultKind::kLostDrop) {
      in.Fail(in.At("retryAfter"), "a lostDrop fault answers 202: it has no Retry-After");
    }
  }
  if (episode.kind == FaultKind::kStuckMedia) {
    if (in.ok() && episode.select.participant_id.empty()) {
      in.Fail(in.At("participantId"), "a stuckMedia fault names the leg that will not go");
    }
    if (in.ok() && value.contains("count")) {
      in.Fail(in.At("count"), "a stuckMedia fault counts its drops with \"attempts\"");
    }
    if (value.contains("attempts")) {
      int attempts = 0;
      in.Int("attempts", attempts, 2);
      episode.count = attempts - 1;  // the drops before the one that lands are lost
    }
  } else if (in.ok() && value.contains("attempts")) {
    in.Fail(in.At("attempts"), "only a stuckMedia fault has attempts");
  }
  if (episode.kind == FaultKind::kRevokeTokens) {
    // An instant, not a window: a revoked token stays revoked.
    for (const char* key : {"until", "count", "probability", "retryAfter", "method", "route",
                            "conversationId", "participantId"}) {
      if (in.ok() && value.contains(key)) {
        in.Fail(in.At(key), "a revokeTokens fault has only \"from\" and \"clientId\"");
      }
    }
  }
  if (in.ok() && value.contains("retryAfter") && episode.kind != FaultKind::kStatus &&
      episode.kind != FaultKind::kThrottle) {
    in.Fail(in.At("retryAfter"), "only a \"status\" or \"throttle\" fault has a Retry-After");
  }
  // The one duration each timing kind needs, and only those kinds.
  const bool stale = episode.kind == FaultKind::kStaleAnalytics || episode.kind == FaultKind::kStaleReads;
  if (episode.kind == FaultKind::kLatency) {
    in.DurationField("delay", episode.delay, /*required=*/true);
    if (in.ok() && episode.delay <= Duration::zero()) in.Fail(in.At("delay"), "must be more than 0s");
  } else if (in.ok() && value.contains("delay")) {
    in.Fail(in.At("delay"), "only a \"latency\" fault has a delay");
  }
  if (stale) {
    in.DurationField("lag", episode.lag, /*required=*/true);
    if (in.ok() && episode.lag <= Duration::zero()) in.Fail(in.At("lag"), "must be more than 0s");
  } else if (in.ok() && value.contains("lag")) {
    in.Fail(in.At("lag"), "only a \"staleAnalytics\" or \"staleReads\" fault has a lag");
  }
  if (Status done = in.Finish(); !done.ok()) return done;
  return episode;
}

json ToJson(const FaultEpisode& episode) {
  json out = {{"id", episode.id}, {"kind", ToString(episode.kind)}, {"from", FormatIso8601(episode.from)},
              {"probability", episode.probability}, {"hits", episode.hits}};
  if (episode.kind == FaultKind::kStatus) out["status"] = episode.status;
  if (episode.retry_after) out["retryAfter"] = FormatDuration(*episode.retry_after);
  if (episode.kind == FaultKind::kLatency) out["delay"] = FormatDuration(episode.delay);
  if (episode.kind == FaultKind::kStaleAnalytics || episode.kind == FaultKind::kStaleReads) {
    out["lag"] = FormatDuration(episode.lag);
  }
  if (episode.until) out["until"] = FormatIso8601(*episode.until);
  if (episode.count) {
    if (episode.kind == FaultKind::kStuckMedia) {
      out["attempts"] = *episode.count + 1;
    } else {
      out["count"] = *episode.count;
    }
  }
  const std::pair<const char*, const std::string*> fields[] = {
      {"method", &episode.select.method}, {"route", &episode.select.route},
      {"clientId", &episode.select.client_id}, {"conversationId", &episode.select.conversation_id},
      {"participantId", &episode.select.participant_id}};
  for (const auto& [name, field] : fields) {
    if (!field->empty()) out[name] = *field;
  }
  return out;
}

std::string Label(const FaultEpisode& episode) {
  std::string label = episode.id;
  label += ' ';
  label += ToString(episode.kind);
  return label;
}

FaultEpisode FaultBook::Add(FaultEpisode episode) {
  std::lock_guard lock(mu_);
  episode.id = "fault-";
  episode.id += std::to_string(next_id_++);
  episode.hits = 0;
  episodes_.push_back(episode);
  return episode;
}

Result<std::vector<FaultEpisode>> FaultBook::Add(std::vector<FaultEpisode> episodes) {
  std::lock_guard lock(mu_);
  if (episodes.size() > kMaxEpisodes - std::min(episodes_.size(), kMaxEpisodes)) {
    return InvalidArgumentError(
        "at most " + std::to_string(kMaxEpisodes) + " fault episodes are held at once (" +
        std::to_string(episodes_.size()) + " held, " + std::to_string(episodes.size()) +
        " more asked); DELETE /sim/v1/faults clears them");
  }
  for (FaultEpisode& episode : episodes) {
    episode.id = "fault-" + std::to_string(next_id_++);
    episode.hits = 0;
    episodes_.push_back(episode);
  }
  return episodes;
}

std::vector<FaultEpisode> FaultBook::List() const {
  std::lock_guard lock(mu_);
  return episodes_;
}

void FaultBook::Clear() {
  std::lock_guard lock(mu_);
  episodes_.clear();
}

uint64_t FaultBook::TotalHits() const {
  std::lock_guard lock(mu_);
  return total_hits_;
}

std::optional<FaultEpisode> FaultBook::Hit(const FaultTarget& target,
                                           const std::vector<FaultKind>& kinds, TimePoint now) {
  std::lock_guard lock(mu_);
  for (FaultEpisode& episode : episodes_) {
    bool wanted_kind = false;
    for (FaultKind kind : kinds) wanted_kind = wanted_kind || kind == episode.kind;
    if (!wanted_kind || now < episode.from || (episode.until && now >= *episode.until) ||
        (episode.count && episode.hits >= *episode.count)) {
      continue;
    }
    const FaultSelector& s = episode.select;
    if (!Matches(s.method, target.method) || !Matches(s.route, target.route) ||
        !Matches(s.client_id, target.client_id) ||
        !Matches(s.conversation_id, target.conversation_id) ||
        !Matches(s.participant_id, target.participant_id)) {
      continue;
    }
    // Drawn only for requests that match, so that unrelated traffic does not move the dice.
    if (episode.probability < 1.0 &&
        std::uniform_real_distribution<double>(0.0, 1.0)(rng_) >= episode.probability) {
      continue;
    }
    ++episode.hits;
    ++total_hits_;
    return episode;
  }
  return std::nullopt;
}

std::optional<FaultEpisode> FaultBook::Revoked(const std::string& client_id, TimePoint issued_at,
                                               TimePoint now) {
  std::lock_guard lock(mu_);
  for (FaultEpisode& episode : episodes_) {
    if (episode.kind != FaultKind::kRevokeTokens || now < episode.from || issued_at >= episode.from ||
        !Matches(episode.select.client_id, client_id)) {
      continue;
    }
    ++episode.hits;
    ++total_hits_;
    return episode;
  }
  return std::nullopt;
}

}  // namespace gcsim::core
