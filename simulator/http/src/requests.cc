#include "requests.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <unordered_set>

#include "gcsim/core/api_errors.h"

namespace gcsim::http {
namespace {

using nlohmann::json;
namespace codes = core::codes;

core::Sent<bool> ReadBool(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end()) return {};
  return it->is_boolean() ? core::Sent<bool>(it->get<bool>()) : core::Sent<bool>::WrongType();
}

core::Sent<std::string> ReadString(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end()) return {};
  return it->is_string() ? core::Sent<std::string>(it->get<std::string>())
                         : core::Sent<std::string>::WrongType();
}

// One party to call: {address?, name?, userId?, queueId?}; `where` names it in errors
// ("participants[]", "destination").
Result<core::LegSpec> ReadDestination(const json& item, const std::string& where) {
  if (!item.is_object()) {
    return core::ApiStatus(codes::kBadRequest, where + " must be an object.");
  }
  // A leg the API adds is dialled out to.
  core::LegSpec leg{.purpose = core::Purpose::kExternal, .direction = core::Direction::kOutbound};
  for (const char* key : {"address", "name", "userId", "queueId"}) {
    if (item.contains(key) && !item[key].is_string()) {
      return core::ApiStatus(codes::kBadRequest, where + "." + key + " must be a string.");
    }
  }
  leg.address = item.value("address", "");
  leg.name = item.value("name", "");
  leg.user_id = item.value("userId", "");
  leg.queue_id = item.value("queueId", "");
  if (!leg.user_id.empty()) {
    leg.purpose = core::Purpose::kUser;
  } else if (!leg.queue_id.empty()) {
    leg.purpose = core::Purpose::kAcd;
  } else if (leg.address.empty()) {
    return core::ApiStatus(codes::kBadRequest, where + " needs an address, userId or queueId.");
  }
  return leg;
}

Result<std::vector<core::LegSpec>> ReadDestinations(const json& list, const std::string& field) {
  if (!list.is_array()) {
    return core::ApiStatus(codes::kBadRequest, "Field " + field + " must be an array.");
  }
  std::vector<core::LegSpec> legs;
  for (const json& item : list) {
    auto leg = ReadDestination(item, field + "[]");
    if (!leg.ok()) return leg.status();
    legs.push_back(std::move(*leg));
  }
  return legs;
}

}  // namespace

core::MediaParticipantRequest ReadMediaParticipantRequest(const json& body) {
  core::MediaParticipantRequest out;
  static const std::unordered_set<std::string> kKnown = {
      "wrapup", "state", "recording", "muted", "confined", "held", "wrapupSkipped", "resumeTime"};
  for (const auto& [key, unused] : body.items()) {
    if (!kKnown.count(key)) out.unknown_fields.push_back(key);
  }
  if (const auto wrapup = body.find("wrapup"); wrapup != body.end()) {
    auto parsed = ReadWrapup(*wrapup, out.unknown_fields);
    if (parsed.ok()) {
      out.wrapup = std::move(*parsed);
      std::sort(out.unknown_fields.begin(), out.unknown_fields.end());
    } else {
      out.wrapup_error = parsed.status().message();
    }
  }
  out.state = ReadString(body, "state");
  out.held = ReadBool(body, "held");
  out.muted = ReadBool(body, "muted");
  out.confined = ReadBool(body, "confined");
  out.recording = ReadBool(body, "recording");
  out.wrapup_skipped = ReadBool(body, "wrapupSkipped");
  if (const auto resume = body.find("resumeTime"); resume != body.end()) {
    const auto at = resume->is_string() ? ParseIso8601(resume->get<std::string>())
                                        : Result<TimePoint>(InvalidArgumentError("not a string"));
    out.resume_time = at.ok() ? core::Sent<TimePoint>(*at) : core::Sent<TimePoint>::WrongType();
  }
  return out;
}

core::ConversationUpdateRequest ReadConversationUpdateRequest(const json& body) {
  core::ConversationUpdateRequest out;
  for (const auto& [key, unused] : body.items()) {
    if (key != "state") out.unknown_fields.push_back(key);
  }
  if (const auto state = body.find("state"); state != body.end()) {
    out.state_is_string = state->is_string();
    out.state = out.state_is_string ? state->get<std::string>() : state->dump();
  }
  return out;
}

Result<core::CreateCallRequest> ReadCreateCallRequest(const json& body) {
  if (!body.is_object()) {
    return core::ApiStatus(codes::kBadRequest,
                           "The request body must be a JSON object (CreateCallRequest).");
  }
  if (body.contains("conversationIds")) {
    return core::ApiStatus(codes::kBadRequest,
                           "gcsim does not model conversationIds (merging calls into a "
                           "conference) yet; add participants to one call instead.");
  }
  for (const char* field : {"phoneNumber", "callUserId", "callQueueId", "callFromQueueId"}) {
    if (body.contains(field) && !body[field].is_string()) {
      return core::ApiStatus(codes::kBadRequest,
                             std::string("Field ") + field + " must be a string.");
    }
  }
  core::CreateCallRequest out;
  const auto optional_string = [&body](const char* key) -> std::optional<std::string> {
    const auto it = body.find(key);
    if (it == body.end()) return std::nullopt;
    return it->get<std::string>();
  };
  out.phone_number = optional_string("phoneNumber");
  out.call_user_id = optional_string("callUserId");
  out.call_queue_id = optional_string("callQueueId");
  if (const auto participants = body.find("participants"); participants != body.end()) {
    auto legs = ReadDestinations(*participants, "participants");
    if (!legs.ok()) return legs.status();
    out.participants = std::move(*legs);
  }
  return out;
}

core::AddParticipantsRequest ReadAddParticipantsRequest(const json& body) {
  core::AddParticipantsRequest out;
  if (!body.is_object() || !body.contains("participants")) {
    out.malformed = core::ApiStatus(codes::kBadRequest,
                                    "The request body must be a Conversation with participants[].");
    return out;
  }
  auto legs = ReadDestinations(body["participants"], "participants");
  if (legs.ok()) {
    out.participants = std::move(*legs);
  } else {
    out.malformed = legs.status();
  }
  return out;
}

core::TransferRequest ReadTransferRequest(const json& body) {
  core::TransferRequest out;
  // TransferRequest names the user's display name userName; a destination calls it name.
  json target = json::object();
  for (const char* key : {"userId", "queueId", "address"}) {
    if (body.contains(key)) target[key] = body[key];
  }
  if (body.contains("userName")) target["name"] = body["userName"];
  auto leg = ReadDestination(target, "TransferRequest");
  if (leg.ok()) {
    out.target = std::move(*leg);
  } else {
    out.malformed = leg.status();
  }
  return out;
}

core::ConsultRequest ReadConsultRequest(const json& body, bool with_destination) {
  core::ConsultRequest out;
  if (const auto it = body.find("speakTo"); it != body.end()) {
    const auto speak_to = it->is_string() ? core::ParseSpeakTo(it->get<std::string>()) : std::nullopt;
    if (!speak_to) {
      out.malformed = core::ApiStatus(
          codes::kInvalidValue, "speakTo must be DESTINATION, OBJECT, BOTH or CONFERENCE, got " +
                                    it->dump() + ".");
      return out;
    }
    out.speak_to = *speak_to;
  } else if (!with_destination) {
    out.malformed = core::ApiStatus(codes::kBadRequest, "A ConsultTransferUpdate needs speakTo.");
    return out;
  }
  if (const auto it = body.find("consultingUserId"); it != body.end()) {
    if (!it->is_string()) {
      out.malformed = core::ApiStatus(codes::kBadRequest, "consultingUserId must be a string.");
      return out;
    }
    out.consulting_user_id = it->get<std::string>();
  }
  if (with_destination && body.contains("destination")) {
    auto leg = ReadDestination(body["destination"], "destination");
    if (!leg.ok()) {
      out.malformed = leg.status();
      return out;
    }
    out.destination = std::move(*leg);
  }
  return out;
}

core::WrapupRequest ReadWrapupRequest(const json& body) {
  core::WrapupRequest out;
  auto parsed = ReadWrapup(body, out.unknown_fields);
  if (parsed.ok()) {
    out.wrapup = std::move(*parsed);
    std::sort(out.unknown_fields.begin(), out.unknown_fields.end());
  } else {
    out.error = parsed.status().message();
  }
  return out;
}

Result<core::Wrapup> ReadWrapup(const json& value, std::vector<std::string>& ignored) {
  if (!value.is_object()) return InvalidArgumentError("wrapup must be a WrapupInput object.");
  core::Wrapup out;
  for (const auto& item : value.items()) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const std::string& key = item.key();
    const json& field = item.value();
    const auto fail = [&key](const char* expected) {
      return InvalidArgumentError("wrapup." + key + " must be " + expected + ".");
    };
    if (key == "code" || key == "name" || key == "notes") {
      if (!field.is_string()) return fail("a string");
      (key == "code" ? out.code : key == "name" ? out.name : out.notes) = field.get<std::string>();
    } else if (key == "tags") {
      if (!field.is_array()) return fail("an array of strings");
      for (const auto& tag : field) {
        if (!tag.is_string()) return fail("an array of strings");
        out.tags.push_back(tag.get<std::string>());
      }
    } else if (key == "durationSeconds") {  // an int32 in the WrapupInput model
      if (!field.is_number_integer() || field.get<int64_t>() < 0 ||
          field.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
        return fail("a whole number from 0 to 2147483647");
      }
      out.duration_seconds = field.get<int64_t>();
    } else if (key == "endTime") {
      const char* expected = "a timestamp such as 2026-01-01T09:00:00.000Z";
      if (!field.is_string()) return fail(expected);
      const auto parsed = ParseIso8601(field.get<std::string>());
      if (!parsed.ok()) return fail(expected);
      out.end_time = *parsed;
    } else if (key == "provisional" || key == "disableEndTimeUpdates") {
      if (!field.is_boolean()) return fail("true or false");
      (key == "provisional" ? out.provisional : out.disable_end_time_updates) = field.get<bool>();
    } else {
      ignored.push_back("wrapup." + key);
    }
  }
  return out;
}

}  // namespace gcsim::http
