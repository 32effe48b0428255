// The simulated world's entities: legs (participants), conversations, media, and the Genesys
// enums they use. Plain data; the Simulator owns and guards every instance.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcsim/common/clock.h"
#include "gcsim/common/heap_optional.h"
#include "gcsim/common/heap_string.h"
#include "gcsim/common/optional_time.h"
#include "gcsim/common/time.h"

namespace gcsim::core {

// The real API's participant state enum. Only connected and disconnected are commands.
enum class LegState : uint8_t {
  kAlerting, kDialing, kContacting, kOffering, kConnected, kDisconnected, kTerminated,
  kConverting, kUploading, kTransmitting, kParked, kNone,
};
const char* ToString(LegState state);
std::optional<LegState> ParseLegState(std::string_view text);
// "alerting, dialing, ...", for invalid.value messages.
std::string AllLegStates();

enum class Purpose : uint8_t { kCustomer, kAgent, kUser, kExternal, kAcd, kIvr };
const char* ToString(Purpose purpose);
std::optional<Purpose> ParsePurpose(std::string_view text);
// People, as opposed to system legs (acd, ivr): a conversation lives while two of them talk.
bool IsHuman(Purpose purpose);

enum class Direction : uint8_t { kInbound, kOutbound };
const char* ToString(Direction direction);  // "inbound", "outbound"
std::optional<Direction> ParseDirection(std::string_view text);

// How a leg left (its disconnectType), the ways gcsim's legs leave; kNone until it does.
enum class DisconnectType : uint8_t {
  kNone, kClient, kEndpoint, kPeer, kTransfer, kTransferNoAnswer,
};
const char* ToString(DisconnectType type);  // as the API spells it ("transfer.noanswer"); "" for kNone

// How the simulator answers a participant PATCH (see DESIGN.md "Profiles").
enum class Profile {
  kObserved,    // a PATCH that changes nothing answers 204, as the field report saw
  kDocumented,  // every accepted PATCH answers 202, as the published spec says
  kStrict,      // unknown fields are rejected with 400
};
const char* ToString(Profile profile);
std::optional<Profile> ParseProfile(std::string_view text);

bool IsLive(LegState state);  // alerting..connected: the leg has not been dropped

// When a leg talks, relative to the moment the script was assigned (its anchor).
struct SpeechScript {
  enum class Kind { kNever, kAlways, kPeriodic, kIntervals };
  Kind kind = Kind::kNever;
  Duration every{};     // kPeriodic: period
  Duration talk_for{};  // kPeriodic: talking part of each period
  Duration offset{};    // kPeriodic: first burst starts this long after the anchor
  std::vector<std::pair<Duration, Duration>> intervals;  // kIntervals: [start, end), sorted

  static SpeechScript Never() { return {}; }
  static SpeechScript Always() { return {.kind = Kind::kAlways}; }

  bool SpeakingAt(TimePoint anchor, TimePoint t) const;
  // The latest instant in [from, to] at which the script has the leg talking.
  std::optional<TimePoint> LastSpeakingAt(TimePoint anchor, TimePoint from, TimePoint to) const;
};

// Parses "never" | "always" | {"every":"30s","for":"10s","offset":"5s"} |
// {"intervals":[["1m","1m30s"], ...]}. Errors name the offending part.
Result<SpeechScript> ParseSpeech(const nlohmann::json& value);
nlohmann::json SpeechToJson(const SpeechScript& script);

// A WrapupInput as the API publishes it. Only these fields are kept: a client's arbitrary JSON
// never lives in the world (it could be any size or depth).
struct Wrapup {
  std::string code;
  std::string name;
  std::string notes;
  std::vector<std::string> tags;
  std::optional<int64_t> duration_seconds;
  std::optional<TimePoint> end_time;
  std::optional<bool> provisional;
  std::optional<bool> disable_end_time_updates;
};

nlohmann::json WrapupToJson(const Wrapup& wrapup);

// How a queue prompts its agents for wrap-up after a call (the Queue model's
// AcwSettings.wrapupPrompt).
enum class WrapupPrompt {
  kOptional,                // the agent may enter a code or skip it
  kMandatory,               // a code is required; no time limit
  kMandatoryTimeout,        // a code is required; after the timeout the default code applies
  kMandatoryForcedTimeout,  // as above, and the agent stays in ACW for the whole timeout
  kAgentRequested,          // wrap-up only when the agent asks for it: may be skipped
};
// The queue setting's name ("MANDATORY_TIMEOUT"), as AcwSettings spells it.
const char* ToString(WrapupPrompt prompt);
std::optional<WrapupPrompt> ParseWrapupPrompt(std::string_view text);
// The participant's wrapupPrompt ("timeout"), as Participant and CallMediaParticipant spell it.
const char* ParticipantPromptName(WrapupPrompt prompt);
// A code is required: skipping is refused (conversation.error.wrapup.cannot.skip).
bool IsMandatory(WrapupPrompt prompt);
bool IsTimed(WrapupPrompt prompt);

// A queue's after-call work settings.
struct AcwSettings {
  WrapupPrompt prompt = WrapupPrompt::kOptional;
  // The time an agent may stay in ACW; only (and always) for the timed prompts.
  std::optional<Duration> timeout;
};

// A wrap-up code of the org (GET /api/v2/routing/wrapupcodes).
struct WrapupCode {
  std::string id;
  std::string name;
};

// The code the platform applies when a timed ACW runs out without one.
inline constexpr std::string_view kWrapupTimeoutCode = "ININ-WRAP-UP-TIMEOUT";

enum class SegmentType : uint8_t { kAlert, kHold, kInteract };
// As analytics spells it: "alert", "hold", "interact".
const char* ToString(SegmentType type);

// An analytics segment of a leg, open while `end` is empty.
struct Segment {
  SegmentType type = SegmentType::kInteract;
  bool audio_muted = false;
  TimePoint start;
  OptionalTime end;
};

struct Conversation;

struct Participant {
  std::string id;
  Conversation* conversation = nullptr;  // the one it belongs to, which outlives it
  const std::string& conversation_id() const;
  HeapString name;     // few legs have a name or an address: they cost a pointer while empty
  HeapString address;
  std::string user_id;   // empty when the leg is not a Genesys user
  std::string queue_id;  // empty when not routed through a queue
  DisconnectType disconnect_type = DisconnectType::kNone;
  Purpose purpose = Purpose::kCustomer;
  Direction direction = Direction::kInbound;
  LegState state = LegState::kConnected;
  bool held = false;
  bool muted = false;
  bool confined = false;
  bool recording = false;
  bool wrapup_skipped = false;
  TimePoint start_time;
  OptionalTime connected_time;
  OptionalTime end_time;
  // The legs of the same conversation this one listens to, coaches or barges in on; few legs
  // have any, so they live apart.
  struct Links {
    std::string monitored_participant_id;
    std::string coached_participant_id;
    std::string barged_participant_id;
  };
  HeapOptional<Links> links;
  HeapOptional<Wrapup> wrapup;  // the WrapupInput last sent (or the timeout's default code)
  // The field report's phantom (observed profile): since a PATCH that changed nothing, the
  // user's routing status reads IDLE while this leg stays connected and its audio flows.
  OptionalTime reads_idle_since;

  // After-call work, for legs routed through a queue to a person (purpose agent or user, with
  // userId and queueId): the queue's settings as they were when the leg joined. Empty: the leg
  // has no wrap-up to do.
  HeapOptional<AcwSettings> acw;
  OptionalTime start_acw_time;  // set when the leg disconnects
  OptionalTime end_acw_time;    // set when wrap-up is done, skipped or timed out
  TimerId acw_timer = 0;                    // the timed ACW's timeout, or 0
  TimerId alert_timer = 0;                  // the queue's alerting timeout while ringing, or 0

  // Media bookkeeping. What the leg said before `audible_since` is folded into `heard_before`,
  // so lastHeardAt is computed from the script without a timer per burst of speech.
  SpeechScript speech;
  TimePoint speech_anchor;
  TimePoint audible_since;
  OptionalTime heard_before;
  // Where the simulator's silence index filed the leg at its last change (empty: not filed).
  OptionalTime filed_quiet_since;
  Duration filed_longest_gap{};

  std::vector<Segment> segments;
  TimerId pending_drop = 0;  // the timer of an accepted drop not yet in effect, or 0
};

// What a leg's audio looks like at one instant.
struct MediaState {
  bool speaking = false;  // the script has the leg talking right now (muted or not)
  bool flowing = false;   // media still set up: true while connected
  OptionalTime last_heard_at;  // when others last heard it; empty if never
  TimePoint silent_since;  // last heard, or connected if never heard
  Duration silent_for{};
};

// Audible legs are heard when their script speaks; muted, held or dropped legs are not.
bool IsAudible(const Participant& leg);
MediaState ComputeMedia(const Participant& leg, TimePoint now);
// When the leg's silence began as of instant `t` (up to now): when it was last heard by then,
// or connected if never. Before its last media change, as in HeardAt, every instant up to when
// it was last heard counts as heard, except within a hold or mute its segments record: a
// silence then may read shorter, never longer.
TimePoint SilentSinceAsOf(const Participant& leg, TimePoint t);
// Whether others hear the leg at instant `t` (up to now): connected then, neither muted nor
// held then (as its segments record), and its script talking. Before the leg's last media
// change (mute, hold, speech) only when it was last heard is kept: every instant up to then
// counts as heard. What an audio stream carries.
bool HeardAt(const Participant& leg, TimePoint t);

struct Conversation {
  std::string id;
  std::string name;
  TimePoint start_time;
  OptionalTime end_time;
  std::vector<Participant*> participants;  // in join order; owned by the Simulator
  std::string recording_state = "none";
  TimerId pending_end = 0;  // the timer of an accepted whole-conversation end, or 0
  // A consult transfer in progress: the consulting leg talks to the destination, the object
  // (the party being transferred), or both; the other side is confined. One at a time.
  struct Consult {
    std::string object_id;
    std::string destination_id;
    std::string consulting_id;
  };
  HeapOptional<Consult> consult;
};

inline const std::string& Participant::conversation_id() const { return conversation->id; }

struct User {
  std::string id;
  std::string name;
  bool on_queue = true;  // false: OFF_QUEUE while not on a call
};

struct Queue {
  std::string id;
  std::string name;
  AcwSettings acw;  // default: optional wrap-up, no timeout
  // How long a user's leg on this queue may ring (the queue's call alertingTimeoutSeconds):
  // unanswered, it leaves (transfer.noanswer) and its user reads NOT_RESPONDING. Unset: it
  // rings until answered.
  std::optional<Duration> alerting_timeout;
  // The ids of the wrap-up codes its agents may use; empty: every code of the world.
  std::vector<std::string> wrapup_code_ids;
  // The users who work it (queue observations count them); empty: every user of the world.
  std::vector<std::string> member_ids;
};

struct OAuthClient {
  std::string id;
  std::string secret;
  std::string user_id;  // non-empty: tokens carry this user's context
  Duration token_lifetime = std::chrono::hours(24);
  std::optional<int> rate_limit;  // requests per minute; unset: the world's default
};

}  // namespace gcsim::core
