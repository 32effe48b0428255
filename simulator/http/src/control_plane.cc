#include "control_plane.h"

#include <algorithm>
#include <memory>

#include "gcsim/core/api_errors.h"
#include "gcsim/common/routes.h"
#include "gcsim/common/strings.h"
#include "prometheus.h"

namespace gcsim::http {
namespace {

using nlohmann::json;
namespace codes = core::codes;

constexpr int kDefaultMediaPageSize = 100;
constexpr int kMaxMediaPageSize = 10'000;

// What a leg sounds like now; shared by the per-leg view, the bulk view and the state.
void PutMedia(json& out, const core::MediaState& media) {
  out["speaking"] = media.speaking;
  out["flowing"] = media.flowing;
  out["lastHeardAt"] = media.last_heard_at ? json(FormatIso8601(*media.last_heard_at)) : json();
  out["silentSince"] = FormatIso8601(media.silent_since);
  out["silentFor"] = FormatDuration(media.silent_for);
  out["silentForMs"] = media.silent_for.count();
}

json LegMediaJson(const core::Participant& leg, const core::MediaState& media) {
  json out = {{"conversationId", leg.conversation_id()},
              {"participantId", leg.id},
              {"purpose", core::ToString(leg.purpose)},
              {"state", core::ToString(leg.state)},
              {"muted", leg.muted},
              {"held", leg.held},
              {"speech", core::SpeechToJson(leg.speech)}};
  PutMedia(out, media);
  return out;
}

json LegStateJson(const core::WorldView& world, const core::Participant& leg) {
  json out = {{"id", leg.id},
              {"purpose", core::ToString(leg.purpose)},
              {"state", core::ToString(leg.state)},
              {"held", leg.held},
              {"muted", leg.muted},
              {"confined", leg.confined},
              {"startTime", FormatIso8601(leg.start_time)}};
  const auto put = [&out](const char* key, std::string_view value) {
    if (!value.empty()) out[key] = value;
  };
  put("name", leg.name.str());
  put("userId", leg.user_id);
  put("queueId", leg.queue_id);
  put("disconnectType", core::ToString(leg.disconnect_type));
  if (leg.connected_time) out["connectedTime"] = FormatIso8601(*leg.connected_time);
  if (leg.end_time) out["endTime"] = FormatIso8601(*leg.end_time);
  if (leg.acw) {
    json acw = {{"wrapupPrompt", core::ToString(leg.acw->prompt)}};
    if (leg.start_acw_time) acw["startAcwTime"] = FormatIso8601(*leg.start_acw_time);
    if (leg.end_acw_time) acw["endAcwTime"] = FormatIso8601(*leg.end_acw_time);
    out["acw"] = std::move(acw);
  }
  if (leg.wrapup) out["wrapup"] = core::WrapupToJson(*leg.wrapup);
  json media = {{"speech", core::SpeechToJson(leg.speech)}};
  PutMedia(media, world.Media(leg));
  out["media"] = std::move(media);
  return out;
}

json StateJson(const core::WorldView& world) {
  json conversations = json::array();
  for (const core::Conversation* conv : world.ConversationsByStart()) {
    json participants = json::array();
    for (const core::Participant* leg : conv->participants) {
      participants.push_back(LegStateJson(world, *leg));
    }
    json item = {{"id", conv->id},
                 {"startTime", FormatIso8601(conv->start_time)},
                 {"participants", std::move(participants)}};
    if (!conv->name.empty()) item["name"] = conv->name;
    if (conv->end_time) item["endTime"] = FormatIso8601(*conv->end_time);
    conversations.push_back(std::move(item));
  }
  json users = json::array();
  for (const core::User& user : world.users()) {
    users.push_back({{"id", user.id}, {"name", user.name}});
  }
  json queues = json::array();
  for (const core::Queue& queue : world.queues()) {
    queues.push_back({{"id", queue.id}, {"name", queue.name}});
  }
  return {{"now", FormatIso8601(world.now())},
          {"profile", core::ToString(world.profile())},
          {"disconnectLatency", FormatDuration(world.disconnect_latency())},
          {"rateLimit", world.rate_limit()},
          {"analyticsLag", FormatDuration(world.analytics_lag())},
          {"conversations", std::move(conversations)},
          {"users", std::move(users)},
          {"queues", std::move(queues)}};
}

json ClockJson(const ControlPlane& control) {
  const Clock& clock = control.simulator->clock();
  json out = {{"now", FormatIso8601(clock.Now())},
              {"mode", control.manual_clock != nullptr ? "manual" : "real"}};
  if (const auto* scaled = dynamic_cast<const ScaledClock*>(&clock)) {
    out["mode"] = "scaled";
    out["timeScale"] = scaled->factor();
  }
  if (const auto next = clock.NextWakeup()) out["nextWakeup"] = FormatIso8601(*next);
  return out;
}

Reply Reset(const ControlPlane& control, Exchange& ex) {
  const std::string rewind = ex.Query("rewind").value_or("false");
  if (rewind != "true" && rewind != "false") {
    return BadRequest(ex, std::string("rewind [").append(rewind).append("] must be true or false."));
  }
  if (rewind == "true" && control.manual_clock == nullptr) {
    return ErrorReply(ex, core::ApiStatus(codes::kConflict,
                                          "The clock is real: only a manual clock "
                                          "(gcsim serve --clock manual) can be rewound."));
  }
  core::WorldSpec world;
  if (ex.json.is_null()) {
    world = control.initial_world;
    ex.journal.effect = "world reset to the one the server started with";
  } else {
    auto parsed = core::ParseWorld(ex.json);
    if (!parsed.ok()) return BadRequest(ex, "Bad world: " + parsed.status().message());
    world = std::move(*parsed);
    ex.journal.effect = "world replaced by the request body";
  }
  if (Status reset = control.simulator->Reset(world); !reset.ok()) {
    return BadRequest(ex, "Bad world: " + reset.message());  // nothing changed
  }
  if (control.on_reset) control.on_reset();
  if (rewind == "true") {
    // Built again at the start. The clock moves back only with no timer pending, so the world
    // and its timers go first; the world was just built, so it builds again.
    Status rebuilt = control.simulator->Reset(core::WorldSpec{});
    const bool rewound = rebuilt.ok() && control.manual_clock->Rewind();
    if (rebuilt.ok()) rebuilt = control.simulator->Reset(world);
    if (!rebuilt.ok()) {
      return ErrorReply(ex, InternalError(std::string("rebuilding the world: ").append(rebuilt.message())));
    }
    if (!rewound) {
      return ErrorReply(ex, core::ApiStatus(codes::kConflict,
                                            "The world was reset, but a timer was pending: the "
                                            "clock was not rewound."));
    }
    ex.journal.effect.append("; clock rewound to ").append(FormatIso8601(control.manual_clock->Now()));
  }
  return JsonReply({{"status", "reset"}});
}

Reply Advance(const ControlPlane& control, Exchange& ex) {
  if (control.manual_clock == nullptr) {
    return ErrorReply(ex, core::ApiStatus(codes::kConflict,
                                          "The clock is real: only a manual clock "
                                          "(gcsim serve --clock manual) can be advanced."));
  }
  for (const auto& [key, unused] : ex.json.items()) {
    if (key != "by") {
      return BadRequest(ex, "Unknown field " + key + " (expected {\"by\":\"10m\"}).");
    }
  }
  if (!ex.json.contains("by") || !ex.json["by"].is_string()) {
    return BadRequest(ex, "by is required: a duration such as \"10m\" or \"250ms\".");
  }
  const auto by = ParseDuration(ex.json["by"].get<std::string>());
  if (!by.ok()) return BadRequest(ex, "by: " + by.status().message());
  // Concurrent advances may both pass; the clock itself then stops at kLatestTime.
  if (Status range = CheckTimeRange(control.manual_clock->Now(), *by); !range.ok()) {
    return BadRequest(ex, "by: " + range.message());
  }
  control.manual_clock->Advance(*by);
  ex.journal.effect = "clock advanced by " + FormatDuration(*by);
  return JsonReply(ClockJson(control));
}

// The leg's media view, or 404 when the leg is not in that conversation.
Reply LegMedia(const ControlPlane& control, const Exchange& ex) {
  const std::string& conversation_id = ex.Param("conversationId");
  const std::string& participant_id = ex.Param("participantId");
  std::optional<json> view;
  control.simulator->Read([&](const core::WorldView& world) {
    const core::Participant* leg = world.FindParticipant(participant_id);
    if (leg != nullptr && leg->conversation_id() == conversation_id) {
      view = LegMediaJson(*leg, world.Media(*leg));
    }
  });
  if (view) return JsonReply(std::move(*view));
  return ErrorReply(ex, core::ApiStatus(codes::kNotFound, "Participant " + participant_id +
                                                              " is not in conversation " +
                                                              conversation_id + "."));
}

Reply SetLegMedia(const ControlPlane& control, Exchange& ex) {
  const json& body = ex.json;
  for (const auto& [key, unused] : body.items()) {
    if (key != "speaking" && key != "speech") {
      return BadRequest(ex, "Unknown field " + key + " (expected speaking or speech).");
    }
  }
  if (body.contains("speaking") == body.contains("speech")) {
    return BadRequest(ex,
                      "Send exactly one of {\"speaking\":true|false} and {\"speech\":<script>}.");
  }
  core::SpeechScript script;
  if (body.contains("speaking")) {
    if (!body["speaking"].is_boolean()) return BadRequest(ex, "speaking must be true or false.");
    script =
        body["speaking"].get<bool>() ? core::SpeechScript::Always() : core::SpeechScript::Never();
  } else {
    auto parsed = core::ParseSpeech(body["speech"]);
    if (!parsed.ok()) return BadRequest(ex, "speech: " + parsed.status().message());
    script = std::move(*parsed);
  }
  // Checked first so that a leg of another conversation is never changed.
  if (Reply found = LegMedia(control, ex); found.status != 200) return found;
  if (Status set = control.simulator->SetSpeech(ex.Param("participantId"), script); !set.ok()) {
    return ErrorReply(ex, set);
  }
  ex.journal.effect = "speech set to " + core::SpeechToJson(script).dump();
  return LegMedia(control, ex);
}

Reply SilentMedia(const ControlPlane& control, const Exchange& ex) {
  Duration silent_for{};
  if (const auto text = ex.Query("silentFor")) {
    const auto parsed = ParseDuration(*text);
    if (!parsed.ok()) {
      return BadRequest(ex, "silentFor [" + *text + "]: " + parsed.status().message());
    }
    silent_for = *parsed;
  }
  auto paging = ParsePaging(ex, kDefaultMediaPageSize, kMaxMediaPageSize);
  if (!paging.ok()) return ErrorReply(ex, paging.status());
  const auto listing = control.simulator->SilentLegs(silent_for);  // shared across pages
  const std::vector<core::SilentLeg>& legs = *listing;
  json entities = json::array();
  const size_t end = std::min(legs.size(), paging->first() + paging->page_size);
  for (size_t i = paging->first(); i < end; ++i) {
    const core::SilentLeg& leg = legs[i];
    json entity = {{"conversationId", leg.conversation_id},
                   {"participantId", leg.participant_id},
                   {"purpose", core::ToString(leg.purpose)},
                   {"state", core::ToString(leg.state)},
                   {"muted", leg.muted},
                   {"held", leg.held}};
    PutMedia(entity, leg.media);
    entities.push_back(std::move(entity));
  }
  return JsonReply({{"entities", std::move(entities)},
                    {"pageSize", paging->page_size},
                    {"pageNumber", paging->page_number},
                    {"total", legs.size()},
                    {"pageCount", paging->PageCount(legs.size())}});
}

Reply ReadJournal(const ControlPlane& control, const Exchange& ex) {
  uint64_t since = 0;
  if (const auto text = ex.Query("since")) {
    const auto value = ParseInteger(*text);
    if (!value || *value < 0) {
      return BadRequest(ex, "since [" + *text + "] must be a sequence number (0 or more).");
    }
    since = static_cast<uint64_t>(*value);
  }
  const core::Journal& journal = control.simulator->journal();
  json entries = json::array();
  for (const core::JournalEntry& entry : journal.Entries()) {
    if (entry.sequence > since) entries.push_back(core::ToJson(entry));
  }
  return JsonReply({{"entries", std::move(entries)}, {"dropped", journal.dropped()}});
}

}  // namespace

// POST /sim/v1/faults: one episode, or {"faults":[...]}; all or nothing.
Reply AddFaults(const ControlPlane& c, Exchange& ex) {
  const TimePoint now = c.simulator->clock().Now();
  const bool many = ex.json.contains("faults");
  if (many && !ex.json["faults"].is_array()) return BadRequest(ex, "/faults: expected an array");
  if (many && ex.json.size() > 1) {
    for (const auto& [key, value] : ex.json.items()) {
      if (key == "faults") continue;
      std::string field = key;
      Truncate(field, 100);
      return BadRequest(ex, "/" + field + ": unknown field (a body with \"faults\" has no other)");
    }
  }
  const json items = many ? ex.json["faults"] : json::array({ex.json});
  std::vector<core::FaultEpisode> parsed;
  for (size_t i = 0; i < items.size(); ++i) {
    auto episode = core::ParseFault(items[i], now, many ? Join({"/faults/", std::to_string(i)}, "") : "");
    if (!episode.ok()) return BadRequest(ex, episode.status().message());
    parsed.push_back(std::move(*episode));
  }
  auto filed = c.simulator->faults().Add(std::move(parsed));
  if (!filed.ok()) return BadRequest(ex, filed.status().message());
  json added = json::array();
  for (const core::FaultEpisode& episode : *filed) added.push_back(core::ToJson(episode));
  ex.journal.effect = Join({"faults added: ", std::to_string(filed->size())}, "");
  return JsonReply({{"faults", std::move(added)}});
}

json FaultsJson(const ControlPlane& c) {
  json list = json::array();
  for (const core::FaultEpisode& episode : c.simulator->faults().List()) {
    list.push_back(core::ToJson(episode));
  }
  return {{"faults", std::move(list)}};
}

void AddControlRoutes(Router& router, const ControlPlane& control) {
  // One copy shared by every handler: the initial world may be large.
  const auto shared = std::make_shared<const ControlPlane>(control);
  const auto add = [&router, shared](std::string method, std::string_view pattern, BodyKind body,
                                     bool journal, auto handler) {
    router.Add({.method = std::move(method),
                .pattern = std::string(pattern),
                .body = body,
                .journal = journal,
                .handler = [shared, handler](Exchange& ex) { return handler(*shared, ex); }});
  };
  add("GET", routes::kSimHealth, BodyKind::kNone, false, [](const ControlPlane&, Exchange&) {
    return JsonReply({{"status", "ok"}});
  });
  add("POST", routes::kSimReset, BodyKind::kOptionalJson, true, Reset);
  add("GET", routes::kSimClock, BodyKind::kNone, true,
      [](const ControlPlane& c, Exchange&) { return JsonReply(ClockJson(c)); });
  add("POST", routes::kSimClockAdvance, BodyKind::kJson, true, Advance);
  add("GET", routes::kSimState, BodyKind::kNone, true, [](const ControlPlane& c, Exchange&) {
    json state;
    c.simulator->Read([&](const core::WorldView& world) { state = StateJson(world); });
    return JsonReply(std::move(state));
  });
  add("GET", routes::kSimLegMedia, BodyKind::kNone, true, LegMedia);
  add("POST", routes::kSimLegMedia, BodyKind::kJson, true, SetLegMedia);
  add("GET", routes::kSimMedia, BodyKind::kNone, true, SilentMedia);
  add("GET", routes::kSimJournal, BodyKind::kNone, false, ReadJournal);
  add("POST", routes::kSimFaults, BodyKind::kJson, true, AddFaults);
  add("GET", routes::kSimFaults, BodyKind::kNone, true,
      [](const ControlPlane& c, Exchange&) { return JsonReply(FaultsJson(c)); });
  add("DELETE", routes::kSimFaults, BodyKind::kNone, true, [](const ControlPlane& c, Exchange& ex) {
    c.simulator->faults().Clear();
    ex.journal.effect = "faults cleared";
    return EmptyReply(204);
  });
  // Not journaled either: a scraper every few seconds would crowd out the requests it counts.
  add("GET", routes::kSimMetrics, BodyKind::kNone, false, [](const ControlPlane& c, Exchange&) {
    Reply reply{.text = PrometheusText(*c.simulator), .content_type = kPrometheusContentType};
    return reply;
  });
}

}  // namespace gcsim::http
