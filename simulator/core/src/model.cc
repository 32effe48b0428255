#include "gcsim/core/model.h"

#include <algorithm>
#include <array>

#include "gcsim/common/strings.h"

namespace gcsim::core {
namespace {

template <typename E, size_t N>
std::optional<E> ParseEnum(const std::array<std::pair<E, const char*>, N>& table,
                           std::string_view text) {
  for (const auto& [value, name] : table) {
    if (text == name) return value;
  }
  return std::nullopt;
}

template <typename E, size_t N>
const char* EnumName(const std::array<std::pair<E, const char*>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<LegState, const char*>, 12> kLegStates{{
    {LegState::kAlerting, "alerting"}, {LegState::kDialing, "dialing"},
    {LegState::kContacting, "contacting"}, {LegState::kOffering, "offering"},
    {LegState::kConnected, "connected"}, {LegState::kDisconnected, "disconnected"},
    {LegState::kTerminated, "terminated"}, {LegState::kConverting, "converting"},
    {LegState::kUploading, "uploading"}, {LegState::kTransmitting, "transmitting"},
    {LegState::kParked, "parked"}, {LegState::kNone, "none"},
}};

constexpr std::array<std::pair<Purpose, const char*>, 6> kPurposes{{
    {Purpose::kCustomer, "customer"}, {Purpose::kAgent, "agent"}, {Purpose::kUser, "user"},
    {Purpose::kExternal, "external"}, {Purpose::kAcd, "acd"}, {Purpose::kIvr, "ivr"},
}};

constexpr std::array<std::pair<Direction, const char*>, 2> kDirections{{
    {Direction::kInbound, "inbound"}, {Direction::kOutbound, "outbound"},
}};

constexpr std::array<std::pair<DisconnectType, const char*>, 6> kDisconnectTypes{{
    {DisconnectType::kNone, ""}, {DisconnectType::kClient, "client"},
    {DisconnectType::kEndpoint, "endpoint"}, {DisconnectType::kPeer, "peer"},
    {DisconnectType::kTransfer, "transfer"}, {DisconnectType::kTransferNoAnswer, "transfer.noanswer"},
}};

constexpr std::array<std::pair<SegmentType, const char*>, 3> kSegmentTypes{{
    {SegmentType::kAlert, "alert"}, {SegmentType::kHold, "hold"},
    {SegmentType::kInteract, "interact"},
}};

constexpr std::array<std::pair<Profile, const char*>, 3> kProfiles{{
    {Profile::kObserved, "observed"}, {Profile::kDocumented, "documented"},
    {Profile::kStrict, "strict"},
}};

struct PromptNames {
  WrapupPrompt prompt;
  const char* setting;      // AcwSettings.wrapupPrompt
  const char* participant;  // Participant.wrapupPrompt
};
constexpr std::array<PromptNames, 5> kPrompts{{
    {WrapupPrompt::kOptional, "OPTIONAL", "optional"},
    {WrapupPrompt::kMandatory, "MANDATORY", "mandatory"},
    {WrapupPrompt::kMandatoryTimeout, "MANDATORY_TIMEOUT", "timeout"},
    {WrapupPrompt::kMandatoryForcedTimeout, "MANDATORY_FORCED_TIMEOUT", "forcedTimeout"},
    {WrapupPrompt::kAgentRequested, "AGENT_REQUESTED", "agentRequested"},
}};

Result<Duration> ParseDurationField(const nlohmann::json& value, const char* field) {
  if (!value.is_string()) {
    return InvalidArgumentError(std::string(field) + ": expected a duration string like \"30s\"");
  }
  auto parsed = ParseDuration(value.get<std::string>());
  if (!parsed.ok()) return InvalidArgumentError(std::string(field) + ": " + parsed.status().message());
  return parsed;
}

}  // namespace

const char* ToString(LegState state) { return EnumName(kLegStates, state); }
std::optional<LegState> ParseLegState(std::string_view text) { return ParseEnum(kLegStates, text); }
std::string AllLegStates() {
  std::vector<std::string_view> names;
  for (const auto& [value, name] : kLegStates) names.push_back(name);
  return Join(names, ", ");
}

const char* ToString(Purpose purpose) { return EnumName(kPurposes, purpose); }
std::optional<Purpose> ParsePurpose(std::string_view text) { return ParseEnum(kPurposes, text); }
bool IsHuman(Purpose purpose) { return purpose != Purpose::kAcd && purpose != Purpose::kIvr; }

const char* ToString(Profile profile) { return EnumName(kProfiles, profile); }
const char* ToString(SegmentType type) { return EnumName(kSegmentTypes, type); }
const char* ToString(Direction direction) { return EnumName(kDirections, direction); }
std::optional<Direction> ParseDirection(std::string_view text) {
  return ParseEnum(kDirections, text);
}
const char* ToString(DisconnectType type) { return EnumName(kDisconnectTypes, type); }
std::optional<Profile> ParseProfile(std::string_view text) { return ParseEnum(kProfiles, text); }

const char* ToString(WrapupPrompt prompt) {
  for (const PromptNames& names : kPrompts) {
    if (names.prompt == prompt) return names.setting;
  }
  return "unknown";
}
std::optional<WrapupPrompt> ParseWrapupPrompt(std::string_view text) {
  for (const PromptNames& names : kPrompts) {
    if (text == names.setting) return names.prompt;
  }
  return std::nullopt;
}
const char* ParticipantPromptName(WrapupPrompt prompt) {
  for (const PromptNames& names : kPrompts) {
    if (names.prompt == prompt) return names.participant;
  }
  return "unknown";
}
bool IsMandatory(WrapupPrompt prompt) {
  return prompt == WrapupPrompt::kMandatory || IsTimed(prompt);
}
bool IsTimed(WrapupPrompt prompt) {
  return prompt == WrapupPrompt::kMandatoryTimeout ||
         prompt == WrapupPrompt::kMandatoryForcedTimeout;
}

bool IsLive(LegState state) {
  return state != LegState::kDisconnected && state != LegState::kTerminated;
}

bool SpeechScript::SpeakingAt(TimePoint anchor, TimePoint t) const {
  switch (kind) {
    case Kind::kNever: return false;
    case Kind::kAlways: return t >= anchor;
    case Kind::kPeriodic:
      return t >= anchor + offset && every > Duration::zero() &&
             (t - anchor - offset) % every < talk_for;
    case Kind::kIntervals:
      return std::any_of(intervals.begin(), intervals.end(), [&](const auto& interval) {
        return t >= anchor + interval.first && t < anchor + interval.second;
      });
  }
  return false;
}

std::optional<TimePoint> SpeechScript::LastSpeakingAt(TimePoint anchor, TimePoint from,
                                                       TimePoint to) const {
  if (to < from) return std::nullopt;
  std::optional<TimePoint> last;
  switch (kind) {
    case Kind::kNever:
      return std::nullopt;
    case Kind::kAlways:
      last = to;
      break;
    case Kind::kPeriodic: {
      const TimePoint base = anchor + offset;
      if (to < base || every <= Duration::zero() || talk_for <= Duration::zero()) return std::nullopt;
      const auto since = to - base;
      const auto into_period = since % every;
      last = into_period < talk_for ? to : to - into_period + talk_for;
      break;
    }
    case Kind::kIntervals:
      for (const auto& [start, end] : intervals) {
        if (anchor + start > to) break;
        const TimePoint heard = std::min(anchor + end, to);
        if (!last || heard > *last) last = heard;
      }
      break;
  }
  if (last && *last < from) return std::nullopt;
  return last;
}

Result<SpeechScript> ParseSpeech(const nlohmann::json& value) {
  if (value.is_string()) {
    if (value == "never") return SpeechScript::Never();
    if (value == "always") return SpeechScript::Always();
    return InvalidArgumentError("unknown speech \"" + value.get<std::string>() +
                                "\" (use \"never\", \"always\", {\"every\",\"for\"} or "
                                "{\"intervals\"})");
  }
  if (value.is_boolean()) return value.get<bool>() ? SpeechScript::Always() : SpeechScript::Never();
  if (!value.is_object()) {
    return InvalidArgumentError("speech must be \"never\", \"always\", {\"every\":\"30s\",\"for\":"
                                "\"10s\"} or {\"intervals\":[[\"1m\",\"1m10s\"]]}");
  }
  SpeechScript script;
  if (value.contains("intervals")) {
    script.kind = SpeechScript::Kind::kIntervals;
    const auto& list = value["intervals"];
    if (!list.is_array()) return InvalidArgumentError("intervals: expected an array of [start, end]");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string where = "intervals/" + std::to_string(i);
      if (!list[i].is_array() || list[i].size() != 2) {
        return InvalidArgumentError(where + ": expected [start, end], e.g. [\"1m\", \"1m30s\"]");
      }
      auto start = ParseDurationField(list[i][0], where.c_str());
      auto end = ParseDurationField(list[i][1], where.c_str());
      if (!start.ok()) return start.status();
      if (!end.ok()) return end.status();
      if (*end <= *start) return InvalidArgumentError(where + ": end must be after start");
      script.intervals.emplace_back(*start, *end);
    }
    std::sort(script.intervals.begin(), script.intervals.end());
    return script;
  }
  if (!value.contains("every") || !value.contains("for")) {
    return InvalidArgumentError("a speech pattern needs \"every\" and \"for\" (or \"intervals\")");
  }
  script.kind = SpeechScript::Kind::kPeriodic;
  auto every = ParseDurationField(value["every"], "every");
  if (!every.ok()) return every.status();
  auto talk_for = ParseDurationField(value["for"], "for");
  if (!talk_for.ok()) return talk_for.status();
  script.every = *every;
  script.talk_for = *talk_for;
  if (value.contains("offset")) {
    auto offset = ParseDurationField(value["offset"], "offset");
    if (!offset.ok()) return offset.status();
    script.offset = *offset;
  }
  if (script.every <= Duration::zero()) return InvalidArgumentError("every: must be more than 0s");
  if (script.talk_for <= Duration::zero() || script.talk_for > script.every) {
    return InvalidArgumentError("for: must be more than 0s and at most \"every\"");
  }
  for (const auto& [key, unused] : value.items()) {
    if (key != "every" && key != "for" && key != "offset") {
      return InvalidArgumentError("unknown speech field \"" + key + "\"");
    }
  }
  return script;
}

nlohmann::json SpeechToJson(const SpeechScript& script) {
  switch (script.kind) {
    case SpeechScript::Kind::kNever: return "never";
    case SpeechScript::Kind::kAlways: return "always";
    case SpeechScript::Kind::kPeriodic: {
      nlohmann::json out = {{"every", FormatDuration(script.every)},
                            {"for", FormatDuration(script.talk_for)}};
      if (script.offset.count()) out["offset"] = FormatDuration(script.offset);
      return out;
    }
    case SpeechScript::Kind::kIntervals: {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [start, end] : script.intervals) {
        list.push_back({FormatDuration(start), FormatDuration(end)});
      }
      return {{"intervals", list}};
    }
  }
  return "never";
}

bool IsAudible(const Participant& leg) {
  return leg.state == LegState::kConnected && !leg.muted && !leg.held;
}

MediaState ComputeMedia(const Participant& leg, TimePoint now) {
  MediaState media;
  media.flowing = leg.state == LegState::kConnected;
  media.speaking = media.flowing && leg.speech.SpeakingAt(leg.speech_anchor, now);
  media.last_heard_at = leg.heard_before;
  if (IsAudible(leg)) {
    const auto heard = leg.speech.LastSpeakingAt(leg.speech_anchor, leg.audible_since, now);
    if (heard && (!media.last_heard_at || *heard > *media.last_heard_at)) media.last_heard_at = heard;
  }
  media.silent_since = leg.connected_time.value_or(leg.start_time);
  if (media.last_heard_at && *media.last_heard_at > media.silent_since) {
    media.silent_since = *media.last_heard_at;
  }
  const TimePoint until = leg.end_time.value_or(now);
  media.silent_for = until > media.silent_since ? until - media.silent_since : Duration::zero();
  return media;
}

namespace {

// When the stretch of held or muted segments that holds instant `t` began: the leg was not heard
// from then until `t`. nullopt when it could be heard at `t`, or its segments do not say.
std::optional<TimePoint> InaudibleSince(const Participant& leg, TimePoint t) {
  const auto inaudible = [](const Segment& s) {
    return s.type == SegmentType::kHold || s.audio_muted;
  };
  auto it = std::find_if(leg.segments.rbegin(), leg.segments.rend(),
                         [t](const Segment& s) { return s.start <= t; });
  if (it == leg.segments.rend() || !inaudible(*it) || (it->end && *it->end <= t)) {
    return std::nullopt;
  }
  TimePoint since = it->start;
  for (++it; it != leg.segments.rend() && inaudible(*it) && it->end && *it->end == since; ++it) {
    since = it->start;
  }
  return since;
}

}  // namespace

TimePoint SilentSinceAsOf(const Participant& leg, TimePoint t) {
  OptionalTime heard = leg.heard_before;
  if (t < leg.audible_since) {
    // Heard after `t` but before the last change: when it was last heard by `t` is lost, but not
    // after a hold or mute that lasted over `t` began (a leg unmuted and muted again since).
    if (heard && *heard > t) heard = InaudibleSince(leg, t).value_or(t);
  } else if (IsAudible(leg)) {
    const auto last = leg.speech.LastSpeakingAt(leg.speech_anchor, leg.audible_since, t);
    if (last && (!heard || *last > *heard)) heard = last;
  }
  const TimePoint connected = leg.connected_time.value_or(leg.start_time);
  return heard && *heard > connected ? *heard : connected;
}

bool HeardAt(const Participant& leg, TimePoint t) {
  if (!leg.connected_time || t < *leg.connected_time || (leg.end_time && t >= *leg.end_time)) {
    return false;
  }
  // Before the leg's last media change only the last instant it was heard is kept (a stream
  // that reaches that stretch late hears it up to then: never less than was said).
  if (t < leg.audible_since) return leg.heard_before && t <= *leg.heard_before;
  for (auto it = leg.segments.rbegin(); it != leg.segments.rend(); ++it) {
    if (it->start > t) continue;
    if (it->type == SegmentType::kHold || it->audio_muted) return false;
    break;
  }
  return leg.speech.SpeakingAt(leg.speech_anchor, t);
}

nlohmann::json WrapupToJson(const Wrapup& wrapup) {
  nlohmann::json out = nlohmann::json::object();
  if (!wrapup.code.empty()) out["code"] = wrapup.code;
  if (!wrapup.name.empty()) out["name"] = wrapup.name;
  if (!wrapup.notes.empty()) out["notes"] = wrapup.notes;
  if (!wrapup.tags.empty()) out["tags"] = wrapup.tags;
  if (wrapup.duration_seconds) out["durationSeconds"] = *wrapup.duration_seconds;
  if (wrapup.end_time) out["endTime"] = FormatIso8601(*wrapup.end_time);
  if (wrapup.provisional) out["provisional"] = *wrapup.provisional;
  if (wrapup.disable_end_time_updates) out["disableEndTimeUpdates"] = *wrapup.disable_end_time_updates;
  return out;
}

}  // namespace gcsim::core
