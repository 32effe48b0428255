// A world as written in a world file or a scenario's "world": who exists, which calls are up,
// how each leg talks, and the rules the simulator plays by. Field by field in scenarios/README.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcsim/common/status.h"
#include "gcsim/core/model.h"

namespace gcsim::core {

struct LegSpec {
  std::string id;  // empty: generated from the world's seed
  Purpose purpose = Purpose::kCustomer;
  std::string name;
  std::string address;
  std::string user_id;
  std::string queue_id;
  Direction direction = Direction::kInbound;
  LegState state = LegState::kConnected;  // alerting or connected
  bool held = false;
  bool muted = false;
  bool confined = false;
  bool recording = false;
  SpeechScript speech;  // default: never talks
  std::string monitored_participant_id;
  std::string coached_participant_id;
  std::string barged_participant_id;
};

struct ConversationSpec {
  std::string id;  // empty: generated
  std::string name;
  std::vector<LegSpec> legs;
};

// Many similar bridges at once, for load: `bridges` conversations with one leg per entry of
// `purposes`. The last `silent_legs` legs of each bridge never talk; every other leg is silent
// ("never") with probability `silent_fraction`, else follows `talk`. Drawn from the world's
// seed, so the same seed gives the same world.
struct GeneratedBridges {
  int bridges = 0;
  std::vector<Purpose> purposes;
  int silent_legs = 0;
  double silent_fraction = 0;
  SpeechScript talk = SpeechScript::Always();
  std::string queue_id;
};

// A few seconds, as the real details query typically trails a call; teams that need exact
// analytics set analyticsLag 0s.
inline constexpr Duration kDefaultAnalyticsLag = std::chrono::seconds(2);

// Where gcsim streams each leg's audio as an AudioHook client (README: AudioHook Monitor).
struct AudioHookSettings {
  std::string url;      // ws://HOST:PORT/PATH; empty: no streaming
  std::string api_key;  // sent as X-API-KEY; empty: not sent
};

struct WorldSpec {
  Profile profile = Profile::kObserved;
  Duration disconnect_latency = std::chrono::milliseconds(250);
  int rate_limit = 300;  // requests per minute per OAuth client; 0: unlimited
  // How far analytics (the details query, queue observations) trail the world: the real
  // pipeline is eventually consistent, so by default a little. 0: the world as it is.
  Duration analytics_lag = kDefaultAnalyticsLag;
  // Whether a monitor's or coach's leg leaves when the leg it supervises does. The docs say
  // what a monitor hears, not whether it stays, so teams can choose; gcsim's default: it leaves.
  bool monitors_end_with_monitored = true;
  // Whether a conference (a call that has had three or more people) stays up with one party
  // left. The help center says a conference "remains a conference until all parties leave",
  // not whether a lone party is kept on it; gcsim's default: a call with fewer than two people
  // ends, conference or not.
  bool last_party_keeps_conference = false;
  // AudioHook Monitor: off unless a URL is set (here or by `gcsim serve --audiohook-url`).
  AudioHookSettings audiohook;
  std::vector<User> users;
  std::vector<Queue> queues;
  // The org's wrap-up codes. A world without any checks no code it is sent.
  std::vector<WrapupCode> wrapup_codes;
  std::vector<OAuthClient> oauth_clients;
  std::vector<ConversationSpec> conversations;
  std::vector<GeneratedBridges> generated;
};

// Reads a world from JSON. Errors say where, as a JSON pointer below `pointer_prefix`
// ("/world/conversations/0/participants/2/purpose: unknown purpose ..."). Unknown fields are
// errors too: a typo must not silently become a default.
Result<WorldSpec> ParseWorld(const nlohmann::json& json, std::string_view pointer_prefix = "");

// Reads one leg (a world's participant, or one a scenario's timeline joins), without checking
// its userId and queueId against a world: CheckLegReferences does, once the world is known.
Result<LegSpec> ParseLeg(const nlohmann::json& json, std::string_view pointer);

// A leg's userId and queueId must name the world's users and queues; errors point at the leg
// (`pointer`). ParseWorld checks every leg of the world; scenario timelines check joined legs.
Status CheckLegReferences(const LegSpec& leg, const WorldSpec& world, const std::string& pointer);

// Reads a JSON file (comments allowed): a regular file of at most kMaxJsonFileBytes. Errors
// start with the path, and with line:column for syntax errors.
inline constexpr size_t kMaxJsonFileBytes = size_t{256} << 20;
Result<nlohmann::json> ReadJsonFile(const std::string& path);
Result<WorldSpec> LoadWorldFile(const std::string& path);

// The world `gcsim serve` starts with when given none: the seed's supervisor bridge.
// A queue, an agent and a customer talking every little while, and a supervisor silent since
// joining with participant id kDemoSupervisorId; apps demo-client/demo-secret (no user context)
// and demo-agent-app/demo-agent-secret (the agent's user context).
WorldSpec DemoWorld();
inline constexpr std::string_view kDemoConversationId = "5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01";
inline constexpr std::string_view kDemoCustomerId = "1a2b3c4d-0000-4000-8000-000000000001";
inline constexpr std::string_view kDemoAgentId = "1a2b3c4d-0000-4000-8000-000000000002";
inline constexpr std::string_view kDemoSupervisorId = "9f8e7d6c-5b4a-3210-abcd-ef1234567890";
inline constexpr std::string_view kDemoQueueId = "7c1d2e3f-0000-4000-8000-0000000000a1";
inline constexpr std::string_view kDemoAgentUserId = "7c1d2e3f-0000-4000-8000-0000000000b1";
inline constexpr std::string_view kDemoSupervisorUserId = "7c1d2e3f-0000-4000-8000-0000000000b2";

}  // namespace gcsim::core
