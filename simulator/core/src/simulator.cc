// The Simulator facade: one lock over the world, and the units that do the work.
//   org.h            OAuth clients, tokens, rate windows (a lock of their own)
//   world_builder.h  building a world from its spec, adding conversations and legs, limits
//   leg_lifecycle.h  state changes, segments, drops landing, conversations ending
//   api_writes.h     what the Genesys API's writes do and answer
//   silent_listing.h the bulk media view and its cache
//   queries.cc       read-only rules over a WorldView (gcsim/core/queries.h)
#include "gcsim/core/simulator.h"

#include <mutex>
#include <shared_mutex>

#include "api_writes.h"
#include "gcsim/common/ids.h"
#include "gcsim/core/api_errors.h"
#include "leg_lifecycle.h"
#include "org.h"
#include "silent_listing.h"
#include "world_builder.h"
#include "world_state.h"

namespace gcsim::core {
namespace {

// Guards timer callbacks against a simulator that is being destroyed.
struct Lifeline {
  std::mutex mu;
  bool alive = true;
};

class SimulatorImpl final : public Simulator {
 public:
  explicit SimulatorImpl(const SimulatorOptions& options)
      : options_(options),
        clock_(*options.clock),
        ids_(options.seed),
        org_(clock_, options.seed, options.rate_limit),
        journal_(options.journal_limit),
        faults_(options.seed),
        lifeline_(std::make_shared<Lifeline>()),
        lifecycle_(world_, clock_, journal_,
                   [this](TimePoint at, std::function<void(TimerId)> fire) {
                     return ScheduleLocked(at, std::move(fire));
                   }),
        writes_(world_, ids_, lifecycle_, clock_, options_.limits, faults_) {}

  ~SimulatorImpl() override {
    {
      std::lock_guard lock(lifeline_->mu);
      lifeline_->alive = false;
    }
    auto lock = LockForWrite();
    lifecycle_.CancelTimers();
  }

  Status Reset(const WorldSpec& spec) override {
    std::lock_guard reset_lock(reset_mu_);
    if (Status fits = CheckWorldLimits(spec, options_.limits); !fits.ok()) return fits;
    // Built aside with a copy of the id generator, so a large world never holds the lock that
    // reads need; the same ids come out as if it had been built in place.
    IdGenerator ids = [this] {
      std::shared_lock lock(mu_);
      return ids_;
    }();
    WorldState fresh;
    Status built = BuildWorld(spec, fresh, ids, clock_.Now(), options_.seed);
    if (!built.ok()) return built;
    {
      auto lock = LockForWrite();
      lifecycle_.CancelTimers();
      std::swap(world_, fresh);
      ids_ = std::move(ids);
      profile_ = options_.profile.value_or(spec.profile);
      lifecycle_.set_disconnect_latency(
          options_.disconnect_latency.value_or(spec.disconnect_latency));
      rate_limit_ = options_.rate_limit.value_or(spec.rate_limit);
      analytics_lag_ = spec.analytics_lag;
      lifecycle_.set_monitors_end_with_monitored(spec.monitors_end_with_monitored);
      lifecycle_.set_last_party_keeps_conference(spec.last_party_keeps_conference);
      for (Participant& leg : world_.leg_storage) lifecycle_.ArmAlertingTimeout(leg, clock_.Now());
      org_.Reset(spec.oauth_clients, spec.rate_limit);
      journal_.Clear();
    }
    return Status::Ok();  // the old world, now in `fresh`, is freed outside the lock
  }

  Clock& clock() const override { return clock_; }
  Profile profile() const override {
    std::shared_lock lock(mu_);
    return profile_;
  }
  Journal& journal() override { return journal_; }
  FaultBook& faults() override { return faults_; }

  // --- OAuth and budgets: the org's own lock, never the world's -----------------------------

  Result<TokenGrant> IssueToken(const std::string& client_id,
                                const std::string& client_secret) override {
    return org_.IssueToken(client_id, client_secret);
  }
  Result<Caller> Authenticate(const std::string& access_token) override {
    return org_.Authenticate(access_token);
  }
  RateDecision ChargeRequest(const std::string& client_id) override {
    return org_.ChargeRequest(client_id);
  }

  // --- Reads ------------------------------------------------------------------------------

  void Read(const std::function<void(const WorldView&)>& reader) const override {
    std::shared_lock lock(mu_);
    reader(WorldStateView(world_, generation_, clock_.Now(), profile_,
                          lifecycle_.disconnect_latency(), rate_limit_, analytics_lag_));
  }

  std::shared_ptr<const std::vector<SilentLeg>> SilentLegs(Duration silent_for) const override {
    std::shared_lock lock(mu_);
    const TimePoint now = clock_.Now();
    return silent_listing_.Get(generation_, now, silent_for, [&] {
      return world_.silence.List(world_.leg_storage, now, silent_for);
    });
  }

  // --- API writes -------------------------------------------------------------------------

  UpdateOutcome UpdateParticipant(const std::string& conversation_id,
                                  const std::string& participant_id,
                                  const MediaParticipantRequest& request, const Caller& caller,
                                  ParticipantRoute route) override {
    auto lock = LockForWrite();
    return writes_.UpdateParticipant(conversation_id, participant_id, request, caller, route,
                                     profile_);
  }
  UpdateOutcome UpdateCommunication(const std::string& conversation_id,
                                    const std::string& participant_id,
                                    const std::string& communication_id,
                                    const MediaParticipantRequest& request,
                                    const Caller& caller) override {
    auto lock = LockForWrite();
    return writes_.UpdateCommunication(conversation_id, participant_id, communication_id, request,
                                       caller, profile_);
  }
  UpdateOutcome ApplyWrapup(const std::string& conversation_id, const std::string& participant_id,
                            const std::string& communication_id, const WrapupRequest& request,
                            const Caller& caller) override {
    auto lock = LockForWrite();
    return writes_.ApplyWrapup(conversation_id, participant_id, communication_id, request, caller,
                               profile_);
  }
  UpdateOutcome UpdateConversation(const std::string& conversation_id,
                                   const ConversationUpdateRequest& request) override {
    auto lock = LockForWrite();
    return writes_.UpdateConversation(conversation_id, request);
  }
  UpdateOutcome DisconnectConversation(const std::string& conversation_id) override {
    auto lock = LockForWrite();
    return writes_.DisconnectConversation(conversation_id);
  }
  Result<std::string> CreateCall(const CreateCallRequest& request, const Caller& caller) override {
    auto lock = LockForWrite();
    return writes_.CreateCall(request, caller);
  }
  Result<std::vector<std::string>> AddParticipants(const std::string& conversation_id,
                                                   const AddParticipantsRequest& request) override {
    auto lock = LockForWrite();
    return writes_.AddParticipants(conversation_id, request);
  }

  UpdateOutcome ReplaceParticipant(const std::string& conversation_id,
                                   const std::string& participant_id,
                                   const TransferRequest& request) override {
    auto lock = LockForWrite();
    return writes_.ReplaceParticipant(conversation_id, participant_id, request);
  }
  UpdateOutcome StartConsult(const std::string& conversation_id, const std::string& participant_id,
                             const ConsultRequest& request, const Caller& caller) override {
    auto lock = LockForWrite();
    return writes_.StartConsult(conversation_id, participant_id, request, caller);
  }
  UpdateOutcome UpdateConsult(const std::string& conversation_id, const std::string& participant_id,
                              const ConsultRequest& request) override {
    auto lock = LockForWrite();
    return writes_.UpdateConsult(conversation_id, participant_id, request);
  }
  UpdateOutcome CancelConsult(const std::string& conversation_id,
                              const std::string& participant_id) override {
    auto lock = LockForWrite();
    return writes_.CancelConsult(conversation_id, participant_id);
  }

  // --- The world by itself ----------------------------------------------------------------

  Result<std::string> AddLeg(const std::string& conversation_id, const LegSpec& spec) override {
    auto lock = LockForWrite();
    Conversation* conv = world_.FindConversation(conversation_id);
    if (conv == nullptr) return ConversationNotFound(conversation_id);
    if (conv->end_time) return ApiStatus(codes::kCallDisconnected, "The conversation has ended.");
    return writes_.AddLeg(*conv, spec);
  }

  Result<std::string> AddConversation(const ConversationSpec& spec) override {
    auto lock = LockForWrite();
    return writes_.AddConversation(spec);
  }

  Status SetSpeech(const std::string& participant_id, const SpeechScript& speech) override {
    auto lock = LockForWrite();
    Participant* leg = world_.FindLeg(participant_id);
    if (leg == nullptr) return ParticipantNotFound(participant_id);
    lifecycle_.SetSpeech(*leg, speech, clock_.Now());
    return Status::Ok();
  }

  Status SetHeld(const std::string& participant_id, bool held) override {
    return SetFlag(participant_id, &Participant::held, held);
  }
  Status SetMuted(const std::string& participant_id, bool muted) override {
    return SetFlag(participant_id, &Participant::muted, muted);
  }
  Status SetConfined(const std::string& participant_id, bool confined) override {
    return SetFlag(participant_id, &Participant::confined, confined);
  }

  Status HangUp(const std::string& participant_id) override {
    auto lock = LockForWrite();
    Participant* leg = world_.FindLeg(participant_id);
    if (leg == nullptr) return ParticipantNotFound(participant_id);
    if (!IsLive(leg->state)) return ApiStatus(codes::kCallDisconnected);
    lifecycle_.Disconnect(*leg, clock_.Now(), DisconnectType::kEndpoint, "hung up by the far end");
    return Status::Ok();
  }

  Result<std::string> Transfer(const std::string& participant_id) override {
    auto lock = LockForWrite();
    Participant* leg = world_.FindLeg(participant_id);
    if (leg == nullptr) return ParticipantNotFound(participant_id);
    if (leg->state != LegState::kConnected) {
      return ApiStatus(codes::kCallDisconnected, "Only a connected leg can be transferred.");
    }
    Conversation& conv = *leg->conversation;
    const LegSpec replacement{.purpose = leg->purpose, .name = leg->name.str(), .address = leg->address.str(),
                              .user_id = leg->user_id, .queue_id = leg->queue_id,
                              .direction = leg->direction, .speech = leg->speech};
    // Join first, so the conversation never looks one person short.
    auto id = writes_.AddLeg(conv, replacement);
    if (!id.ok()) return id.status();
    lifecycle_.Disconnect(*leg, clock_.Now(), DisconnectType::kTransfer,
                          "transferred away; participant " + *id + " replaces it");
    return id;
  }

 private:
  // Every write locks through here, so a cached listing knows the world has changed.
  std::unique_lock<std::shared_mutex> LockForWrite() {
    std::unique_lock lock(mu_);
    ++generation_;
    return lock;
  }

  Status SetFlag(const std::string& participant_id, bool Participant::*flag, bool value) {
    auto lock = LockForWrite();
    Participant* leg = world_.FindLeg(participant_id);
    if (leg == nullptr) return ParticipantNotFound(participant_id);
    return lifecycle_.SetFlag(*leg, flag, value, clock_.Now());
  }

  // Runs `fire` under the world lock at `at`, unless the simulator is gone by then.
  // Called with mu_ held, so the timer id is stored before the callback can look for it.
  TimerId ScheduleLocked(TimePoint at, std::function<void(TimerId)> fire) {
    auto id_holder = std::make_shared<TimerId>(0);
    std::weak_ptr<Lifeline> lifeline = lifeline_;
    *id_holder = clock_.Schedule(at, [this, lifeline, id_holder, fire = std::move(fire)] {
      const auto alive = lifeline.lock();
      if (!alive) return;
      std::lock_guard life(alive->mu);
      if (!alive->alive) return;
      auto lock = LockForWrite();
      fire(*id_holder);
    });
    return *id_holder;
  }

  const SimulatorOptions options_;
  Clock& clock_;
  std::mutex reset_mu_;  // one Reset at a time; held while a world is built aside
  mutable std::shared_mutex mu_;  // guards everything below but the org, journal and cache
  WorldState world_;
  IdGenerator ids_;
  Profile profile_ = Profile::kObserved;
  int rate_limit_ = 0;
  Duration analytics_lag_{};
  uint64_t generation_ = 0;  // bumped by every write (LockForWrite)
  Org org_;                  // its own lock
  Journal journal_;          // its own lock
  FaultBook faults_;         // its own lock
  std::shared_ptr<Lifeline> lifeline_;
  LegLifecycle lifecycle_;
  ApiWrites writes_;
  mutable SilentListingCache silent_listing_;  // its own lock; readers share mu_
};

}  // namespace

Result<std::unique_ptr<Simulator>> Simulator::Create(const SimulatorOptions& options,
                                                     const WorldSpec& world) {
  if (options.clock == nullptr) return InvalidArgumentError("SimulatorOptions.clock is required");
  auto simulator = std::make_unique<SimulatorImpl>(options);
  Status loaded = simulator->Reset(world);
  if (!loaded.ok()) return loaded;
  return std::unique_ptr<Simulator>(std::move(simulator));
}

}  // namespace gcsim::core
