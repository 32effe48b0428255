#include "gcsim/core/world.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "gcsim/common/ids.h"
#include "gcsim/common/json.h"
#include "gcsim/core/json_reader.h"

namespace gcsim::core {
namespace {

using nlohmann::json;

Result<Purpose> ReadPurpose(const json& value, const std::string& where) {
  if (value.is_string()) {
    if (auto purpose = ParsePurpose(value.get<std::string>())) return *purpose;
  }
  return InvalidArgumentError(where + ": unknown purpose " + value.dump() +
                              " (expected customer, agent, user, external, acd or ivr)");
}

Status ReadLeg(const json& value, const std::string& where, LegSpec& leg) {
  ObjectReader in(value, where);
  in.Id("id", leg.id);
  if (const json* purpose = in.Get("purpose", true)) {
    auto parsed = ReadPurpose(*purpose, in.At("purpose"));
    if (!parsed.ok()) return parsed.status();
    leg.purpose = *parsed;
  }
  in.String("name", leg.name);
  in.String("address", leg.address);
  in.Id("userId", leg.user_id);
  in.Id("queueId", leg.queue_id);
  std::string direction = ToString(leg.direction);
  in.String("direction", direction);
  if (in.ok()) {
    if (const auto parsed = ParseDirection(direction)) {
      leg.direction = *parsed;
    } else {
      in.Fail(in.At("direction"), "expected \"inbound\" or \"outbound\"");
    }
  }
  std::string state = "connected";
  in.String("state", state);
  if (in.ok()) {
    if (state == "connected") leg.state = LegState::kConnected;
    else if (state == "alerting") leg.state = LegState::kAlerting;
    else in.Fail(in.At("state"), "a world's legs start \"connected\" or \"alerting\", not \"" + state + "\"");
  }
  in.Bool("held", leg.held);
  in.Bool("muted", leg.muted);
  in.Bool("confined", leg.confined);
  in.Bool("recording", leg.recording);
  in.Speech("speech", leg.speech);
  in.Id("monitoredParticipantId", leg.monitored_participant_id);
  in.Id("coachedParticipantId", leg.coached_participant_id);
  in.Id("bargedParticipantId", leg.barged_participant_id);
  return in.Finish();
}

Status ReadConversation(const json& value, const std::string& where, ConversationSpec& conv) {
  ObjectReader in(value, where);
  in.Id("id", conv.id);
  in.String("name", conv.name);
  in.Array("participants", [&](const json& item, const std::string& at) {
    return ReadLeg(item, at, conv.legs.emplace_back());
  });
  Status status = in.Finish();
  if (status.ok() && conv.legs.empty()) {
    return InvalidArgumentError(where + "/participants: a conversation needs at least one leg");
  }
  return status;
}

Status ReadGenerated(const json& value, const std::string& where, GeneratedBridges& gen) {
  ObjectReader in(value, where);
  in.Int("bridges", gen.bridges, 1, true);
  in.Array("purposes", [&](const json& item, const std::string& at) {
    auto purpose = ReadPurpose(item, at);
    if (purpose.ok()) gen.purposes.push_back(*purpose);
    return purpose.status();
  });
  if (in.ok() && gen.purposes.empty()) in.Fail(in.At("purposes"), "list at least one leg purpose");
  in.Int("silentLegs", gen.silent_legs, 0);
  if (in.ok() && gen.silent_legs > static_cast<int>(gen.purposes.size())) {
    in.Fail(in.At("silentLegs"), "more silent legs than legs per bridge");
  }
  if (const json* v = in.Get("silentFraction")) {
    if (v->is_number() && v->get<double>() >= 0 && v->get<double>() <= 1) {
      gen.silent_fraction = v->get<double>();
    } else {
      in.Fail(in.At("silentFraction"), "expected a number from 0 to 1");
    }
  }
  in.Speech("talk", gen.talk);
  in.Id("queueId", gen.queue_id);
  return in.Finish();
}

Status ReadAcwSettings(const json& value, const std::string& where, AcwSettings& acw) {
  ObjectReader in(value, where);
  if (const json* prompt = in.Get("wrapupPrompt")) {
    const auto parsed =
        prompt->is_string() ? ParseWrapupPrompt(prompt->get<std::string>()) : std::nullopt;
    if (parsed) {
      acw.prompt = *parsed;
    } else {
      in.Fail(in.At("wrapupPrompt"),
              "expected \"OPTIONAL\", \"MANDATORY\", \"MANDATORY_TIMEOUT\", "
              "\"MANDATORY_FORCED_TIMEOUT\" or \"AGENT_REQUESTED\"");
    }
  }
  int timeout_ms = -1;
  in.Int("timeoutMs", timeout_ms, 1000);
  if (in.ok() && timeout_ms > 86'400'000) in.Fail(in.At("timeoutMs"), "at most one day (86400000)");
  if (in.ok() && timeout_ms >= 0) {
    if (!IsTimed(acw.prompt)) {
      in.Fail(in.At("timeoutMs"),
              "only MANDATORY_TIMEOUT and MANDATORY_FORCED_TIMEOUT take a timeout");
    }
    acw.timeout = std::chrono::milliseconds(timeout_ms);
  }
  if (in.ok() && IsTimed(acw.prompt) && !acw.timeout) {
    in.Fail(in.At("timeoutMs"), std::string(ToString(acw.prompt)) + " needs timeoutMs");
  }
  return in.Finish();
}

// Whether `items` (anything with an `id`) has one with `id`.
template <typename Items>
bool Listed(const Items& items, const std::string& id) {
  return std::any_of(items.begin(), items.end(), [&id](const auto& item) { return item.id == id; });
}

// Each of `ids` must name one of `items`; an error points at the first that does not
// ("<pointer>/<i>: <what> <id> is not one of the world's <among>").
template <typename Items>
Status CheckListed(const std::vector<std::string>& ids, const Items& items,
                   const std::string& pointer, const char* what, const char* among) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!Listed(items, ids[i])) {
      return InvalidArgumentError(pointer + "/" + std::to_string(i) + ": " + what + " " + ids[i] +
                                  " is not one of the world's " + among);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<LegSpec> ParseLeg(const json& value, std::string_view pointer) {
  LegSpec leg;
  if (Status read = ReadLeg(value, std::string(pointer), leg); !read.ok()) return read;
  return leg;
}

Result<WorldSpec> ParseWorld(const json& value, std::string_view pointer_prefix) {
  WorldSpec world;
  ObjectReader in(value, std::string(pointer_prefix));
  if (const json* profile = in.Get("profile")) {
    const auto parsed = profile->is_string() ? ParseProfile(profile->get<std::string>()) : std::nullopt;
    if (parsed) world.profile = *parsed;
    else in.Fail(in.At("profile"), "expected \"observed\", \"documented\" or \"strict\"");
  }
  in.DurationField("disconnectLatency", world.disconnect_latency);
  in.Int("rateLimit", world.rate_limit, 0);
  in.DurationField("analyticsLag", world.analytics_lag);
  in.Bool("monitorsEndWithMonitored", world.monitors_end_with_monitored);
  in.Bool("lastPartyKeepsConference", world.last_party_keeps_conference);
  if (const json* settings = in.Get("audiohook")) {
    ObjectReader audiohook(*settings, in.At("audiohook"));
    audiohook.String("url", world.audiohook.url, /*required=*/true);
    audiohook.String("apiKey", world.audiohook.api_key);
    if (audiohook.ok() && world.audiohook.url.rfind("ws://", 0) != 0) {
      audiohook.Fail(audiohook.At("url"), "expected ws://HOST:PORT/PATH");
    }
    if (Status read = audiohook.Finish(); !read.ok()) return read;
  }
  in.Array("users", [&](const json& item, const std::string& at) {
    ObjectReader user(item, at);
    User& out = world.users.emplace_back();
    user.Id("id", out.id, true);
    user.String("name", out.name);
    user.Bool("onQueue", out.on_queue);
    return user.Finish();
  });
  in.Array("queues", [&](const json& item, const std::string& at) {
    ObjectReader queue(item, at);
    Queue& out = world.queues.emplace_back();
    queue.Id("id", out.id, true);
    queue.String("name", out.name);
    if (const json* acw = queue.Get("acwSettings")) {
      Status read = ReadAcwSettings(*acw, queue.At("acwSettings"), out.acw);
      if (!read.ok()) return read;
    }
    std::optional<Duration> alerting;
    if (queue.Get("alertingTimeout")) {
      Duration timeout{};
      queue.DurationField("alertingTimeout", timeout);
      alerting = timeout;
    }
    out.alerting_timeout = alerting;
    queue.Array("wrapupCodes", [&](const json& code, const std::string& code_at) {
      if (!code.is_string() || !IsUuid(code.get<std::string>())) {
        return InvalidArgumentError(code_at + ": expected a wrap-up code id (a UUID)");
      }
      out.wrapup_code_ids.push_back(code.get<std::string>());
      return Status::Ok();
    });
    queue.Array("members", [&](const json& user, const std::string& user_at) {
      if (!user.is_string() || !IsUuid(user.get<std::string>())) {
        return InvalidArgumentError(user_at + ": expected a user id (a UUID)");
      }
      out.member_ids.push_back(user.get<std::string>());
      return Status::Ok();
    });
    return queue.Finish();
  });
  in.Array("wrapupCodes", [&](const json& item, const std::string& at) {
    ObjectReader code(item, at);
    WrapupCode& out = world.wrapup_codes.emplace_back();
    code.Id("id", out.id, true);
    code.String("name", out.name, true);
    return code.Finish();
  });
  in.Array("oauthClients", [&](const json& item, const std::string& at) {
    ObjectReader client(item, at);
    OAuthClient& out = world.oauth_clients.emplace_back();
    client.String("clientId", out.id, true);
    client.String("clientSecret", out.secret, true);
    client.Id("userId", out.user_id);
    client.DurationField("tokenLifetime", out.token_lifetime);
    int rate = -1;
    client.Int("rateLimit", rate, 0);
    if (rate >= 0) out.rate_limit = rate;
    if (client.ok() && out.token_lifetime < std::chrono::seconds(1)) {
      client.Fail(client.At("tokenLifetime"), "must be at least 1s");
    }
    return client.Finish();
  });
  in.Array("conversations", [&](const json& item, const std::string& at) {
    return ReadConversation(item, at, world.conversations.emplace_back());
  });
  in.Array("generate", [&](const json& item, const std::string& at) {
    return ReadGenerated(item, at, world.generated.emplace_back());
  });
  Status status = in.Finish();
  if (!status.ok()) return status;
  for (size_t c = 0; c < world.conversations.size(); ++c) {
    const std::vector<LegSpec>& legs = world.conversations[c].legs;
    for (size_t l = 0; l < legs.size(); ++l) {
      status = CheckLegReferences(legs[l], world, std::string(pointer_prefix) + "/conversations/" +
                                                      std::to_string(c) + "/participants/" +
                                                      std::to_string(l));
      if (!status.ok()) return status;
    }
  }
  for (size_t q = 0; q < world.queues.size(); ++q) {
    const std::string queue = std::string(pointer_prefix) + "/queues/" + std::to_string(q);
    status = CheckListed(world.queues[q].wrapup_code_ids, world.wrapup_codes,
                         queue + "/wrapupCodes", "wrap-up code", "wrapupCodes");
    if (status.ok()) {
      status = CheckListed(world.queues[q].member_ids, world.users, queue + "/members", "user",
                           "users");
    }
    if (!status.ok()) return status;
  }
  for (size_t g = 0; g < world.generated.size(); ++g) {
    status = CheckLegReferences({.queue_id = world.generated[g].queue_id}, world,
                                std::string(pointer_prefix) + "/generate/" + std::to_string(g));
    if (!status.ok()) return status;
  }
  return world;
}

Status CheckLegReferences(const LegSpec& leg, const WorldSpec& world, const std::string& pointer) {
  if (!leg.user_id.empty() && !Listed(world.users, leg.user_id)) {
    return InvalidArgumentError(pointer + "/userId: user " + leg.user_id +
                                " is not one of the world's users");
  }
  if (!leg.queue_id.empty() && !Listed(world.queues, leg.queue_id)) {
    return InvalidArgumentError(pointer + "/queueId: queue " + leg.queue_id +
                                " is not one of the world's queues");
  }
  return Status::Ok();
}

Result<json> ReadJsonFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    return NotFoundError(path + ": cannot open file" + (error ? " (" + error.message() + ")" : ""));
  }
  // A folder, FIFO or device is no file to read: a FIFO would wait for a writer for ever.
  if (fs::is_directory(status)) return InvalidArgumentError(path + ": is a folder, not a file");
  if (!fs::is_regular_file(status)) return InvalidArgumentError(path + ": is not a regular file");
  const std::string too_large =
      path + ": larger than " + std::to_string(kMaxJsonFileBytes >> 20) + " MiB";
  if (fs::file_size(path, error) > kMaxJsonFileBytes && !error) {
    return InvalidArgumentError(too_large);
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFoundError(path + ": cannot open file");
  std::string text;
  char chunk[1 << 16];
  while (file.read(chunk, sizeof chunk) || file.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(file.gcount()));
    if (text.size() > kMaxJsonFileBytes) return InvalidArgumentError(too_large);  // it grew
  }
  auto parsed = ParseJson(text, {.allow_comments = true, .reject_duplicate_keys = true});
  if (!parsed.ok()) return InvalidArgumentError(path + ": " + parsed.status().message());
  return parsed;
}

Result<WorldSpec> LoadWorldFile(const std::string& path) {
  auto json = ReadJsonFile(path);
  if (!json.ok()) return json.status();
  auto world = ParseWorld(*json);
  if (!world.ok()) return InvalidArgumentError(path + ": " + world.status().message());
  return world;
}

WorldSpec DemoWorld() {
  using std::chrono::seconds;
  WorldSpec world;
  world.users = {{std::string(kDemoAgentUserId), "Avery Agent"},
                 {std::string(kDemoSupervisorUserId), "Sam Supervisor"}};
  world.queues = {{std::string(kDemoQueueId), "Support"}};
  world.oauth_clients = {
      {.id = "demo-client", .secret = "demo-secret"},
      {.id = "demo-agent-app", .secret = "demo-agent-secret", .user_id = std::string(kDemoAgentUserId)},
  };
  const SpeechScript customer_talk{.kind = SpeechScript::Kind::kPeriodic, .every = seconds(45),
                                   .talk_for = seconds(20)};
  SpeechScript agent_talk = customer_talk;
  agent_talk.offset = seconds(22);
  world.conversations.push_back(ConversationSpec{
      .id = std::string(kDemoConversationId),
      .name = "Support bridge",
      .legs = {
          {.id = std::string(kDemoCustomerId), .purpose = Purpose::kCustomer,
           .name = "Casey Customer", .address = "tel:+13175550123", .speech = customer_talk},
          {.id = std::string(kDemoAgentId), .purpose = Purpose::kAgent, .name = "Avery Agent",
           .address = "sip:avery@example.com", .user_id = std::string(kDemoAgentUserId),
           .queue_id = std::string(kDemoQueueId), .speech = agent_talk},
          {.id = std::string(kDemoSupervisorId), .purpose = Purpose::kUser,
           .name = "Sam Supervisor", .address = "sip:sam@example.com",
           .user_id = std::string(kDemoSupervisorUserId), .queue_id = std::string(kDemoQueueId),
           .speech = SpeechScript::Never(), .barged_participant_id = std::string(kDemoAgentId)},
      }});
  return world;
}

}  // namespace gcsim::core
