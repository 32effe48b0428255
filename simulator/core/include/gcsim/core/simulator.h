// The simulator: one world of conversations, legs, media, OAuth clients and rate budgets, on an
// injected clock. Everything the HTTP layer and the scenario harness do goes through here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gcsim/common/clock.h"
#include "gcsim/common/status.h"
#include "gcsim/core/faults.h"
#include "gcsim/core/journal.h"
#include "gcsim/core/model.h"
#include "gcsim/core/queries.h"
#include "gcsim/core/requests.h"
#include "gcsim/core/world.h"

namespace gcsim::core {

// What the world may grow to, whoever asks (a reset, a scenario, API calls adding legs): past
// these a request is refused (400) before anything is built, instead of exhausting memory.
// `gcsim serve --max-legs/--max-conversations` set them.
struct WorldLimits {
  // Legs in the world at once, generated ones included; a leg costs about 1 KiB. A million is
  // the largest world gcsim is measured at (bench/README.md).
  size_t max_legs = 1'000'000;
  // Conversations in the world at once.
  size_t max_conversations = 250'000;
};

// Legs and conversations a world spec asks for, saturating instead of overflowing.
struct WorldSize {
  uint64_t legs = 0;
  uint64_t conversations = 0;
};
WorldSize SizeOf(const WorldSpec& world);
// Ok when `world` fits `limits`; else an invalid-argument error naming the limit.
Status CheckWorldLimits(const WorldSpec& world, const WorldLimits& limits);

struct SimulatorOptions {
  // Source of time and timers; required, not owned, must outlive the simulator.
  Clock* clock = nullptr;
  // Seeds generated ids, tokens and generated worlds: same seed, same run.
  uint64_t seed = 1;
  // When set, replace the world's own setting (the serve flags --profile, --disconnect-latency
  // and --rate-limit).
  std::optional<Profile> profile;
  std::optional<Duration> disconnect_latency;
  std::optional<int> rate_limit;
  // Journal entries kept; older ones are dropped and counted.
  size_t journal_limit = 100'000;
  WorldLimits limits;
};

// Who is calling, from the bearer token.
struct Caller {
  std::string client_id;
  std::string user_id;  // empty: client credentials without user context
  TimePoint token_issued_at;  // when its token was issued (a revokeTokens fault tells by it)
};

struct TokenGrant {
  std::string access_token;
  Duration expires_in{};
};

// A request's standing against its client's budget, for the inin-ratelimit-* headers.
struct RateDecision {
  bool limited = false;   // over budget: answer 429
  int count = 0;          // requests in the current window, this one included
  int allowed = 0;        // the budget; 0 when unlimited
  int reset_seconds = 0;  // until the window resets (Retry-After when limited)
};

// Which participant PATCH path a request came in on.
enum class ParticipantRoute { kGeneric, kCall };

// What a mutating request did, for the HTTP answer and the journal.
struct FieldError {
  std::string field;
  std::string error_code;
  std::string message;
};
struct UpdateOutcome {
  Status status;  // ok, or why the request was refused (reason(): the Genesys code)
  int http_status = 204;  // what the API answers, per profile
  std::vector<std::string> ignored_fields;  // unknown fields, sorted
  std::vector<FieldError> field_errors;     // details[] of a refusal
  std::string effect_text;                  // "drop accepted: ..." / "nothing changed: ..."
  std::string hint;                         // e.g. only state:disconnected drops a leg
  bool changed_nothing = false;             // accepted, and nothing changed (the seed's trap)
  // Set when the request asked to drop live legs: when the most recently heard of them was
  // last heard (its silent_since). The harness judges every drop's safety from this.
  std::optional<TimePoint> drop_silent_since;
  std::vector<Participant> dropped_legs;  // those legs, as they were when asked to drop
  std::string added_participant_id;  // the leg a transfer or consult added
};

// Read-only access to the world inside Simulator::Read(). Pointers are valid only during the
// callback; the world cannot change while it runs.
class WorldView {
 public:
  virtual ~WorldView() = default;
  // Bumped by every change to the world: two views of one simulator with the same generation
  // and the same now() show the same thing.
  virtual uint64_t generation() const = 0;
  virtual TimePoint now() const = 0;
  // When the world was loaded. The calls it began with were already up, and no view of the
  // past (analytics lag, stale reads) reaches back before it.
  virtual TimePoint loaded_at() const = 0;
  virtual Profile profile() const = 0;
  virtual Duration disconnect_latency() const = 0;
  // Requests per minute for clients without a budget of their own; 0: unlimited.
  virtual int rate_limit() const = 0;
  // How far analytics trail the world (the world's analyticsLag).
  virtual Duration analytics_lag() const = 0;
  virtual const Conversation* FindConversation(const std::string& id) const = 0;
  virtual const Participant* FindParticipant(const std::string& id) const = 0;
  // Every conversation, ordered by start time then id (deterministic listings).
  virtual const std::vector<const Conversation*>& ConversationsByStart() const = 0;
  // ConversationsByStart()[position], without listing the others.
  virtual const Conversation* ConversationByStartAt(size_t position) const = 0;
  virtual const std::vector<User>& users() const = 0;
  virtual const std::vector<Queue>& queues() const = 0;
  virtual const User* FindUser(const std::string& id) const = 0;
  virtual const Queue* FindQueue(const std::string& id) const = 0;
  // The org's wrap-up codes, in the world's order.
  virtual const std::vector<WrapupCode>& wrapup_codes() const = 0;
  virtual const WrapupCode* FindWrapupCode(const std::string& id) const = 0;
  // The codes an agent of `queue` may use: its own list, or every code when it lists none.
  std::vector<const WrapupCode*> QueueWrapupCodes(const Queue& queue) const {
    std::vector<const WrapupCode*> out;
    if (queue.wrapup_code_ids.empty()) {
      for (const WrapupCode& code : wrapup_codes()) out.push_back(&code);
    } else {
      for (const std::string& id : queue.wrapup_code_ids) {
        if (const WrapupCode* code = FindWrapupCode(id)) out.push_back(code);
      }
    }
    return out;
  }
  MediaState Media(const Participant& leg) const { return ComputeMedia(leg, now()); }
};

// A view that shows what `inner` shows; a subclass overrides what it shows differently (PastView:
// the world as it was).
class ForwardingView : public WorldView {
 public:
  explicit ForwardingView(const WorldView& inner) : inner_(inner) {}
  uint64_t generation() const override { return inner_.generation(); }
  TimePoint now() const override { return inner_.now(); }
  TimePoint loaded_at() const override { return inner_.loaded_at(); }
  Profile profile() const override { return inner_.profile(); }
  Duration disconnect_latency() const override { return inner_.disconnect_latency(); }
  int rate_limit() const override { return inner_.rate_limit(); }
  Duration analytics_lag() const override { return inner_.analytics_lag(); }
  const Conversation* FindConversation(const std::string& id) const override {
    return inner_.FindConversation(id);
  }
  const Participant* FindParticipant(const std::string& id) const override {
    return inner_.FindParticipant(id);
  }
  const std::vector<const Conversation*>& ConversationsByStart() const override {
    return inner_.ConversationsByStart();
  }
  const Conversation* ConversationByStartAt(size_t position) const override {
    return inner_.ConversationByStartAt(position);
  }
  const std::vector<User>& users() const override { return inner_.users(); }
  const std::vector<Queue>& queues() const override { return inner_.queues(); }
  const User* FindUser(const std::string& id) const override { return inner_.FindUser(id); }
  const Queue* FindQueue(const std::string& id) const override { return inner_.FindQueue(id); }
  const std::vector<WrapupCode>& wrapup_codes() const override { return inner_.wrapup_codes(); }
  const WrapupCode* FindWrapupCode(const std::string& id) const override {
    return inner_.FindWrapupCode(id);
  }

 protected:
  const WorldView& inner_;
};

// A leg whose media flows and that has been silent for a while (the bulk media view).
struct SilentLeg {
  std::string conversation_id;
  std::string participant_id;
  Purpose purpose = Purpose::kCustomer;
  LegState state = LegState::kConnected;
  bool muted = false;
  bool held = false;
  MediaState media;
};

// Thread-safe: every method may be called from any thread. Reads run concurrently; writes are
// exclusive. Delayed effects (a drop landing after disconnect_latency) run as clock timers.
class Simulator {
 public:
  static Result<std::unique_ptr<Simulator>> Create(const SimulatorOptions& options,
                                                   const WorldSpec& world);
  virtual ~Simulator() = default;

  // Replaces the world (pending timers cancelled, journal cleared); the clock goes on. The new
  // world is built aside and swapped in: reads and writes go on meanwhile (writes land in the
  // world being replaced). One reset runs at a time. A world beyond the limits is refused.
  virtual Status Reset(const WorldSpec& world) = 0;
  virtual Clock& clock() const = 0;
  virtual Profile profile() const = 0;
  virtual Journal& journal() = 0;
  // The fault episodes in force (a reset keeps them: they are the run's, not the world's).
  virtual FaultBook& faults() = 0;

  // --- OAuth and rate budgets ---
  virtual Result<TokenGrant> IssueToken(const std::string& client_id,
                                        const std::string& client_secret) = 0;
  // bad.credentials when unknown or expired.
  virtual Result<Caller> Authenticate(const std::string& access_token) = 0;
  virtual RateDecision ChargeRequest(const std::string& client_id) = 0;

  // --- Reads ---
  virtual void Read(const std::function<void(const WorldView&)>& reader) const = 0;
  // Flowing legs silent for at least `silent_for`, ordered by silent_since then id. Calls at
  // the same instant of an unchanged world share one listing, so reading it page by page
  // costs one scan, not one per page.
  virtual std::shared_ptr<const std::vector<SilentLeg>> SilentLegs(Duration silent_for) const = 0;

  // --- The Genesys API's writes, as typed requests (the HTTP layer reads the bodies) ---
  // MediaParticipantRequest on a participant.
  virtual UpdateOutcome UpdateParticipant(const std::string& conversation_id,
                                          const std::string& participant_id,
                                          const MediaParticipantRequest& request,
                                          const Caller& caller, ParticipantRoute route) = 0;
  // PATCH .../calls/{cid}/participants/{pid}/communications/{commId}: only
  // {"state":"disconnected"} acts (the leg's drop); wrap-up fields are not for this endpoint.
  virtual UpdateOutcome UpdateCommunication(const std::string& conversation_id,
                                            const std::string& participant_id,
                                            const std::string& communication_id,
                                            const MediaParticipantRequest& request,
                                            const Caller& caller) = 0;
  // POST .../calls/{cid}/participants/{pid}/communications/{commId}/wrapup.
  virtual UpdateOutcome ApplyWrapup(const std::string& conversation_id,
                                    const std::string& participant_id,
                                    const std::string& communication_id,
                                    const WrapupRequest& request, const Caller& caller) = 0;
  // PATCH /api/v2/conversations/calls/{cid}: {"state":"disconnected"} ends the conversation.
  virtual UpdateOutcome UpdateConversation(const std::string& conversation_id,
                                           const ConversationUpdateRequest& request) = 0;
  // POST /api/v2/conversations/{cid}/disconnect: full teardown.
  virtual UpdateOutcome DisconnectConversation(const std::string& conversation_id) = 0;
  // CreateCallRequest; returns the new conversation's id.
  virtual Result<std::string> CreateCall(const CreateCallRequest& request,
                                         const Caller& caller) = 0;
  // New legs on a live conversation; returns the new participant ids.
  virtual Result<std::vector<std::string>> AddParticipants(
      const std::string& conversation_id, const AddParticipantsRequest& request) = 0;
  // POST .../participants/{pid}/replace: a new leg to the target joins, the leg leaves
  // (disconnectType transfer) after disconnectLatency.
  virtual UpdateOutcome ReplaceParticipant(const std::string& conversation_id,
                                           const std::string& participant_id,
                                           const TransferRequest& request) = 0;
  // POST, PATCH and DELETE of .../participants/{pid}/consult: `participant_id` is the object
  // of the transfer. A consult adds the destination's leg and confines whoever the consulting
  // leg is not speaking to; CONFERENCE (or the consulting leg leaving) ends it with everyone
  // talking; DELETE drops the destination.
  virtual UpdateOutcome StartConsult(const std::string& conversation_id,
                                     const std::string& participant_id,
                                     const ConsultRequest& request, const Caller& caller) = 0;
  virtual UpdateOutcome UpdateConsult(const std::string& conversation_id,
                                      const std::string& participant_id,
                                      const ConsultRequest& request) = 0;
  virtual UpdateOutcome CancelConsult(const std::string& conversation_id,
                                      const std::string& participant_id) = 0;

  // --- What happens in the world by itself (control plane, scenario timelines) ---
  virtual Result<std::string> AddLeg(const std::string& conversation_id, const LegSpec& leg) = 0;
  virtual Result<std::string> AddConversation(const ConversationSpec& conversation) = 0;
  virtual Status SetSpeech(const std::string& participant_id, const SpeechScript& speech) = 0;
  virtual Status SetHeld(const std::string& participant_id, bool held) = 0;
  virtual Status SetMuted(const std::string& participant_id, bool muted) = 0;
  virtual Status SetConfined(const std::string& participant_id, bool confined) = 0;
  // The far end hangs up: disconnected now, disconnectType "endpoint".
  virtual Status HangUp(const std::string& participant_id) = 0;
  // A transfer away and back: the leg ends ("transfer") and a new participant with a new id
  // joins for the same user. Returns the new participant id.
  virtual Result<std::string> Transfer(const std::string& participant_id) = 0;
};

}  // namespace gcsim::core
