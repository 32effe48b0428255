#include "gcsim/core/simulator.h"

#include <algorithm>
#include <limits>
#include <random>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include "gcsim/common/ids.h"
#include "gcsim/core/api_errors.h"

namespace gcsim::core {
namespace {

using nlohmann::json;

constexpr Duration kRateWindow = std::chrono::minutes(1);
constexpr char kDropHint[] =
    "the API ignores fields it does not know; only {\"state\":\"disconnected\"} drops a leg";

std::string Join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

// Everything a Reset replaces. Legs live side by side in a deque (addresses never move, and
// scans such as SilentLegs walk memory in order); the index is keyed by views of their ids.
struct World {
  std::deque<Participant> leg_storage;
  std::unordered_map<std::string_view, Participant*> legs;
  std::unordered_map<std::string, Conversation> conversations;
  std::vector<const Conversation*> by_start;
  std::vector<User> users;
  std::vector<Queue> queues;
  std::unordered_map<std::string, size_t> user_index;
  std::unordered_map<std::string, size_t> queue_index;
};

// OAuth state, kept apart from the world so that token and budget checks never wait on it.
struct TokenRecord {
  std::string client_id;
  std::string user_id;
  TimePoint expires_at;
};
struct RateWindow {
  TimePoint start;
  int count = 0;
};
struct Org {
  std::unordered_map<std::string, OAuthClient> clients;
  std::unordered_map<std::string, TokenRecord> tokens;
  std::unordered_map<std::string, RateWindow> windows;
  int default_rate_limit = 300;
};

// Guards timer callbacks against a simulator that is being destroyed.
struct Lifeline {
  std::mutex mu;
  bool alive = true;
};

class View final : public WorldView {
 public:
  View(const World& world, TimePoint now, Profile profile, Duration disconnect_latency,
       int rate_limit)
      : world_(world),
        now_(now),
        profile_(profile),
        disconnect_latency_(disconnect_latency),
        rate_limit_(rate_limit) {}
  TimePoint now() const override { return now_; }
  Profile profile() const override { return profile_; }
  Duration disconnect_latency() const override { return disconnect_latency_; }
  int rate_limit() const override { return rate_limit_; }
  const Conversation* FindConversation(const std::string& id) const override {
    const auto it = world_.conversations.find(id);
    return it == world_.conversations.end() ? nullptr : &it->second;
  }
  const Participant* FindParticipant(const std::string& id) const override {
    const auto it = world_.legs.find(id);
    return it == world_.legs.end() ? nullptr : it->second;
  }
  const std::vector<const Conversation*>& ConversationsByStart() const override {
    return world_.by_start;
  }
  const std::vector<User>& users() const override { return world_.users; }
  const std::vector<Queue>& queues() const override { return world_.queues; }
  const User* FindUser(const std::string& id) const override {
    const auto it = world_.user_index.find(id);
    return it == world_.user_index.end() ? nullptr : &world_.users[it->second];
  }
  const Queue* FindQueue(const std::string& id) const override {
    const auto it = world_.queue_index.find(id);
    return it == world_.queue_index.end() ? nullptr : &world_.queues[it->second];
  }

 private:
  const World& world_;
  const TimePoint now_;
  const Profile profile_;
  const Duration disconnect_latency_;
  const int rate_limit_;
};

class SimulatorImpl final : public Simulator {
 public:
  explicit SimulatorImpl(const SimulatorOptions& options)
      : options_(options),
        clock_(*options.clock),
        ids_(options.seed),
        token_ids_(options.seed ^ 0x5eed'70c3'4a11'0000ULL),
        journal_(options.journal_limit),
        lifeline_(std::make_shared<Lifeline>()) {}

  ~SimulatorImpl() override {
    {
      std::lock_guard lock(lifeline_->mu);
      lifeline_->alive = false;
    }
    auto lock = LockForWrite();
    CancelTimers(world_);
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
    World fresh;
    Status built = Build(spec, fresh, ids);
    if (!built.ok()) return built;
    {
      auto lock = LockForWrite();
      CancelTimers(world_);
      std::swap(world_, fresh);
      ids_ = std::move(ids);
      profile_ = options_.profile.value_or(spec.profile);
      disconnect_latency_ = options_.disconnect_latency.value_or(spec.disconnect_latency);
      rate_limit_ = options_.rate_limit.value_or(spec.rate_limit);
      {
        std::lock_guard org_lock(org_mu_);
        org_ = Org{};
        for (const OAuthClient& client : spec.oauth_clients) org_.clients[client.id] = client;
        org_.default_rate_limit = spec.rate_limit;
      }
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

  // --- OAuth and budgets ------------------------------------------------------------------

  Result<TokenGrant> IssueToken(const std::string& client_id,
                                const std::string& client_secret) override {
    std::lock_guard lock(org_mu_);
    const auto it = org_.clients.find(client_id);
    if (it == org_.clients.end() || it->second.secret != client_secret) {
      return Status(StatusCode::kUnauthenticated, "client not found or bad client secret",
                    "invalid_client");
    }
    const std::string token = "gcsim-" + token_ids_.NextHex(40);
    org_.tokens[token] = {client_id, it->second.user_id, clock_.Now() + it->second.token_lifetime};
    return TokenGrant{token, it->second.token_lifetime};
  }

  Result<Caller> Authenticate(const std::string& access_token) override {
    std::lock_guard lock(org_mu_);
    const auto it = org_.tokens.find(access_token);
    if (it == org_.tokens.end()) return ApiStatus(codes::kBadCredentials);
    if (clock_.Now() >= it->second.expires_at) {
      org_.tokens.erase(it);
      return ApiStatus(codes::kBadCredentials, "The access token has expired.");
    }
    return Caller{it->second.client_id, it->second.user_id};
  }

  RateDecision ChargeRequest(const std::string& client_id) override {
    std::lock_guard lock(org_mu_);
    int budget = org_.default_rate_limit;
    if (const auto it = org_.clients.find(client_id); it != org_.clients.end()) {
      budget = it->second.rate_limit.value_or(budget);
    }
    if (options_.rate_limit) budget = *options_.rate_limit;
    const TimePoint now = clock_.Now();
    RateWindow& window = org_.windows[client_id];
    if (window.count == 0 || now >= window.start + kRateWindow) window = {now, 0};
    ++window.count;
    const auto left = window.start + kRateWindow - now;
    RateDecision decision;
    decision.count = window.count;
    decision.allowed = budget;
    decision.reset_seconds = static_cast<int>((left.count() + 999) / 1000);
    decision.limited = budget != 0 && window.count > budget;
    return decision;
  }

  // --- Reads ------------------------------------------------------------------------------

  void Read(const std::function<void(const WorldView&)>& reader) const override {
    std::shared_lock lock(mu_);
    reader(View(world_, clock_.Now(), profile_, disconnect_latency_, rate_limit_));
  }

  std::shared_ptr<const std::vector<SilentLeg>> SilentLegs(Duration silent_for) const override {
    std::shared_lock lock(mu_);
    const TimePoint now = clock_.Now();
    {
      std::lock_guard cache_lock(silent_cache_mu_);
      const SilentCache& c = silent_cache_;
      if (c.legs && c.silent_for == silent_for && c.now == now && c.generation == generation_) {
        return c.legs;
      }
    }
    auto out = std::make_shared<std::vector<SilentLeg>>();
    for (const Participant& leg : world_.leg_storage) {
      if (leg.state != LegState::kConnected) continue;  // no media: skip the arithmetic
      const MediaState media = ComputeMedia(leg, now);
      if (!media.flowing || media.silent_for < silent_for) continue;
      out->push_back({leg.conversation_id, leg.id, leg.purpose, leg.state, leg.muted, leg.held, media});
    }
    std::sort(out->begin(), out->end(), [](const SilentLeg& a, const SilentLeg& b) {
      return std::tie(a.media.silent_since, a.participant_id) <
             std::tie(b.media.silent_since, b.participant_id);
    });
    std::lock_guard cache_lock(silent_cache_mu_);
    silent_cache_ = {silent_for, now, generation_, out};
    return out;
  }

  // --- API writes -------------------------------------------------------------------------

  UpdateOutcome UpdateParticipant(const std::string& conversation_id,
                                  const std::string& participant_id, const json& body,
                                  const Caller& caller, ParticipantRoute route) override {
    auto lock = LockForWrite();
    UpdateOutcome out;
    if (!body.is_object()) {
      return Refuse(out, ApiStatus(codes::kBadRequest,
                                   "The request body must be a JSON object (MediaParticipantRequest)."));
    }
    Conversation* conv = FindConversation(conversation_id);
    if (conv == nullptr) return Refuse(out, ConversationNotFound(conversation_id));
    Participant* leg = FindLeg(participant_id);
    if (leg == nullptr || leg->conversation_id != conversation_id) {
      return Refuse(out, ApiStatus(codes::kNotParticipant,
                                   "Participant " + participant_id +
                                       " is not a participant in conversation " + conversation_id + "."));
    }
    if (route == ParticipantRoute::kCall && profile_ != Profile::kObserved && caller.user_id.empty()) {
      return Refuse(out, ApiStatus(codes::kNotAUser));
    }

    static const std::unordered_set<std::string> kKnown = {
        "wrapup", "state", "recording", "muted", "confined", "held", "wrapupSkipped", "resumeTime"};
    for (const auto& [key, unused] : body.items()) {
      if (!kKnown.count(key)) out.ignored_fields.push_back(key);
    }
    // Read before the strict check, so that unknown WrapupInput keys count as unknown fields.
    std::optional<Wrapup> wrapup;
    if (body.contains("wrapup")) {
      auto parsed = ParseWrapup(body["wrapup"], out.ignored_fields);
      if (!parsed.ok()) {
        return RefuseField(out, "wrapup", codes::kBadRequest, parsed.status().message());
      }
      wrapup = std::move(*parsed);
      std::sort(out.ignored_fields.begin(), out.ignored_fields.end());
    }
    if (!out.ignored_fields.empty()) out.hint = kDropHint;
    if (profile_ == Profile::kStrict && !out.ignored_fields.empty()) {
      for (const auto& field : out.ignored_fields) {
        out.field_errors.push_back({field, "unknown.field", "Unrecognized field " + field});
      }
      return Refuse(out, ApiStatus(codes::kBadRequest,
                                   "Unrecognized field(s) in MediaParticipantRequest: " +
                                       Join(out.ignored_fields, ", ") + ". Only state: disconnected drops a leg."));
    }

    // Validate everything first: a refused request changes nothing.
    std::optional<LegState> state;
    if (body.contains("state")) {
      const json& value = body["state"];
      if (!value.is_string()) return RefuseField(out, "state", codes::kBadRequest, "Field state must be a string.");
      state = ParseLegState(value.get<std::string>());
      if (!state) {
        return RefuseField(out, "state", codes::kInvalidValue,
                           "Value [" + value.get<std::string>() +
                               "] is not valid for field type [state]. Allowable values are: " +
                               AllLegStates());
      }
      if (*state != LegState::kConnected && *state != LegState::kDisconnected) {
        return RefuseField(out, "state", codes::kBadRequest,
                           "A participant's state can only be set to connected or disconnected.");
      }
    }
    struct FlagField {
      const char* name;
      bool Participant::*member;
    };
    static constexpr FlagField kFlags[] = {{"held", &Participant::held},
                                           {"muted", &Participant::muted},
                                           {"confined", &Participant::confined},
                                           {"recording", &Participant::recording},
                                           {"wrapupSkipped", &Participant::wrapup_skipped}};
    for (const FlagField& flag : kFlags) {
      if (body.contains(flag.name) && !body[flag.name].is_boolean()) {
        return RefuseField(out, flag.name, codes::kBadRequest,
                           std::string("Field ") + flag.name + " must be true or false.");
      }
    }
    if (body.contains("resumeTime") &&
        (!body["resumeTime"].is_string() || !ParseIso8601(body["resumeTime"].get<std::string>()).ok())) {
      return RefuseField(out, "resumeTime", codes::kInvalidDate, "");
    }
    const bool live = IsLive(leg->state);
    if (state == LegState::kDisconnected && !live) return Refuse(out, ApiStatus(codes::kCallDisconnected));
    for (const FlagField& flag : kFlags) {
      if (!body.contains(flag.name) || flag.member == &Participant::wrapup_skipped) continue;
      const bool wanted = body[flag.name].get<bool>();
      if (wanted == leg->*flag.member) continue;
      if (!live) return Refuse(out, ApiStatus(codes::kCallDisconnected));
      if (flag.member == &Participant::held && wanted && leg->state == LegState::kAlerting) {
        return Refuse(out, ApiStatus(codes::kHoldAlerting));
      }
    }

    // Apply.
    const TimePoint now = clock_.Now();
    std::vector<std::string> changes;
    for (const FlagField& flag : kFlags) {
      if (!body.contains(flag.name)) continue;
      const bool wanted = body[flag.name].get<bool>();
      if (wanted == leg->*flag.member) continue;
      ChangeLeg(*leg, now, [&](Participant& p) { p.*flag.member = wanted; });
      changes.push_back(std::string(flag.name) + " " + (wanted ? "false -> true" : "true -> false"));
    }
    if (wrapup) {
      leg->wrapup = std::move(*wrapup);
      changes.push_back("wrapup recorded");
    }
    if (body.contains("resumeTime")) changes.push_back("resumeTime recorded");
    if (state == LegState::kConnected && leg->state == LegState::kAlerting) {
      ChangeLeg(*leg, now, [&](Participant& p) {
        p.state = LegState::kConnected;
        p.connected_time = now;
      });
      changes.push_back("answered: alerting -> connected");
    }
    if (state == LegState::kDisconnected) {
      out.drop_silent_since = ComputeMedia(*leg, now).silent_since;
      if (leg->pending_drop != 0) {
        changes.push_back("drop already accepted; it lands after disconnectLatency");
      } else {
        changes.push_back("drop accepted: the leg disconnects at " +
                          FormatIso8601(now + disconnect_latency_) + " (disconnectLatency " +
                          FormatDuration(disconnect_latency_) + ")");
        ScheduleDrop(*leg, now);
      }
    }

    out.effect = changes.empty() ? Effect::kNoChange : Effect::kAccepted;
    out.http_status = profile_ == Profile::kObserved && changes.empty() ? 204 : 202;
    if (changes.empty()) {
      out.effect_text = out.ignored_fields.empty()
                            ? "nothing changed: every field already had the value sent"
                            : "nothing changed: no field the API acts on (ignored: " +
                                  Join(out.ignored_fields, ", ") + "); the leg stays " +
                                  ToString(leg->state);
    } else {
      out.effect_text = Join(changes, "; ");
    }
    return out;
  }

  UpdateOutcome UpdateConversation(const std::string& conversation_id, const json& body) override {
    auto lock = LockForWrite();
    UpdateOutcome out;
    if (!body.is_object()) {
      return Refuse(out, ApiStatus(codes::kBadRequest, "The request body must be a JSON object."));
    }
    Conversation* conv = FindConversation(conversation_id);
    if (conv == nullptr) return Refuse(out, ConversationNotFound(conversation_id));
    for (const auto& [key, unused] : body.items()) {
      if (key != "state") out.ignored_fields.push_back(key);
    }
    if (!body.contains("state")) {
      out.http_status = 200;
      out.effect_text = "nothing changed: only {\"state\":\"disconnected\"} ends a conversation";
      return out;
    }
    const json& value = body["state"];
    const auto state = value.is_string() ? ParseLegState(value.get<std::string>()) : std::nullopt;
    if (!state) {
      return RefuseField(out, "state", codes::kInvalidValue,
                         "Value [" + (value.is_string() ? value.get<std::string>() : value.dump()) +
                             "] is not valid for field type [state]. Allowable values are: " +
                             AllLegStates());
    }
    if (*state != LegState::kDisconnected) {
      return RefuseField(out, "state", codes::kBadRequest,
                         "A conversation's state can only be set to disconnected.");
    }
    return EndLater(*conv, out, 200);
  }

  UpdateOutcome DisconnectConversation(const std::string& conversation_id) override {
    auto lock = LockForWrite();
    UpdateOutcome out;
    Conversation* conv = FindConversation(conversation_id);
    if (conv == nullptr) return Refuse(out, ConversationNotFound(conversation_id));
    return EndLater(*conv, out, 202);
  }

  Result<std::string> CreateCall(const json& body, const Caller& caller) override {
    auto lock = LockForWrite();
    if (!body.is_object()) {
      return ApiStatus(codes::kBadRequest, "The request body must be a JSON object (CreateCallRequest).");
    }
    if (body.contains("conversationIds")) {
      return ApiStatus(codes::kBadRequest,
                       "gcsim does not model conversationIds (merging calls into a conference) yet; "
                       "add participants to one call instead.");
    }
    ConversationSpec spec;
    if (!caller.user_id.empty()) {
      spec.legs.push_back({.purpose = Purpose::kUser, .user_id = caller.user_id, .direction = "outbound"});
    }
    for (const char* field : {"phoneNumber", "callUserId", "callQueueId", "callFromQueueId"}) {
      if (body.contains(field) && !body[field].is_string()) {
        return ApiStatus(codes::kBadRequest, std::string("Field ") + field + " must be a string.");
      }
    }
    if (body.contains("phoneNumber")) {
      spec.legs.push_back({.purpose = Purpose::kExternal,
                           .address = "tel:" + body["phoneNumber"].get<std::string>(),
                           .direction = "outbound"});
    }
    if (body.contains("callUserId")) {
      spec.legs.push_back({.purpose = Purpose::kUser, .user_id = body["callUserId"].get<std::string>()});
    }
    if (body.contains("callQueueId")) {
      spec.legs.push_back({.purpose = Purpose::kAcd, .queue_id = body["callQueueId"].get<std::string>()});
    }
    if (body.contains("participants")) {
      auto legs = ParseDestinations(body["participants"], "participants");
      if (!legs.ok()) return legs.status();
      spec.legs.insert(spec.legs.end(), legs->begin(), legs->end());
    }
    if (spec.legs.size() - (caller.user_id.empty() ? 0 : 1) == 0) {
      return ApiStatus(codes::kBadRequest,
                       "A CreateCallRequest needs phoneNumber, callUserId, callQueueId or participants.");
    }
    if (Status valid = CheckReferences(spec.legs); !valid.ok()) return valid;
    return AddConversationLocked(spec);
  }

  Result<std::vector<std::string>> AddParticipants(const std::string& conversation_id,
                                                   const json& body) override {
    auto lock = LockForWrite();
    Conversation* conv = FindConversation(conversation_id);
    if (conv == nullptr) return ConversationNotFound(conversation_id);
    if (!body.is_object() || !body.contains("participants")) {
      return ApiStatus(codes::kBadRequest, "The request body must be a Conversation with participants[].");
    }
    auto legs = ParseDestinations(body["participants"], "participants");
    if (!legs.ok()) return legs.status();
    if (legs->empty()) return ApiStatus(codes::kBadRequest, "participants[] is empty.");
    if (Status valid = CheckReferences(*legs); !valid.ok()) return valid;
    if (conv->end_time) return ApiStatus(codes::kCallDisconnected, "The conversation has ended.");
    if (Status fits = CheckGrowth(0, legs->size()); !fits.ok()) return fits;
    std::vector<std::string> ids;
    for (const LegSpec& spec : *legs) {
      auto id = AddLegLocked(*conv, spec);
      if (!id.ok()) return id.status();
      ids.push_back(*id);
    }
    return ids;
  }

  // --- The world by itself ----------------------------------------------------------------

  Result<std::string> AddLeg(const std::string& conversation_id, const LegSpec& spec) override {
    auto lock = LockForWrite();
    Conversation* conv = FindConversation(conversation_id);
    if (conv == nullptr) return ConversationNotFound(conversation_id);
    if (conv->end_time) return ApiStatus(codes::kCallDisconnected, "The conversation has ended.");
    return AddLegLocked(*conv, spec);
  }

  Result<std::string> AddConversation(const ConversationSpec& spec) override {
    auto lock = LockForWrite();
    return AddConversationLocked(spec);
  }

  Status SetSpeech(const std::string& participant_id, const SpeechScript& speech) override {
    auto lock = LockForWrite();
    Participant* leg = FindLeg(participant_id);
    if (leg == nullptr) return LegNotFound(participant_id);
    const TimePoint now = clock_.Now();
    ChangeLeg(*leg, now, [&](Participant& p) {
      p.speech = speech;
      p.speech_anchor = now;
    });
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
    Participant* leg = FindLeg(participant_id);
    if (leg == nullptr) return LegNotFound(participant_id);
    if (!IsLive(leg->state)) return ApiStatus(codes::kCallDisconnected);
    Disconnect(*leg, clock_.Now(), "endpoint", "hung up by the far end");
    return Status::Ok();
  }

  Result<std::string> Transfer(const std::string& participant_id) override {
    auto lock = LockForWrite();
    Participant* leg = FindLeg(participant_id);
    if (leg == nullptr) return LegNotFound(participant_id);
    if (leg->state != LegState::kConnected) {
      return ApiStatus(codes::kCallDisconnected, "Only a connected leg can be transferred.");
    }
    Conversation& conv = world_.conversations.at(leg->conversation_id);
    const LegSpec replacement{.purpose = leg->purpose, .name = leg->name, .address = leg->address,
                              .user_id = leg->user_id, .queue_id = leg->queue_id,
                              .direction = leg->direction, .speech = leg->speech};
    // Join first, so the conversation never looks one person short.
    auto id = AddLegLocked(conv, replacement);
    if (!id.ok()) return id.status();
    Disconnect(*leg, clock_.Now(), "transfer", "transferred away; participant " + *id + " replaces it");
    return id;
  }

 private:
  // Every write locks through here, so a cached listing knows the world has changed.
  std::unique_lock<std::shared_mutex> LockForWrite() {
    std::unique_lock lock(mu_);
    ++generation_;
    return lock;
  }

  // --- lookups ---
  Conversation* FindConversation(const std::string& id) {
    const auto it = world_.conversations.find(id);
    return it == world_.conversations.end() ? nullptr : &it->second;
  }
  Participant* FindLeg(const std::string& id) {
    const auto it = world_.legs.find(id);
    return it == world_.legs.end() ? nullptr : it->second;
  }
  static Status ConversationNotFound(const std::string& id) {
    return ApiStatus(codes::kNotFound, "Conversation " + id + " not found.");
  }
  static Status LegNotFound(const std::string& id) {
    return ApiStatus(codes::kNotFound, "Participant " + id + " not found.");
  }

  static UpdateOutcome& Refuse(UpdateOutcome& out, Status status) {
    out.status = std::move(status);
    out.http_status = HttpStatusOf(out.status);
    out.effect = Effect::kNoChange;
    out.effect_text = "refused: " + out.status.message();
    return out;
  }
  static UpdateOutcome& RefuseField(UpdateOutcome& out, const std::string& field,
                                    std::string_view code, std::string message) {
    Status status = ApiStatus(code, std::move(message));
    out.field_errors.push_back({field, std::string(code), status.message()});
    return Refuse(out, std::move(status));
  }

  // --- building worlds ---
  // Touches nothing but its arguments (and the clock), so it may run without the world lock.
  Status Build(const WorldSpec& spec, World& world, IdGenerator& ids) const {
    for (const User& user : spec.users) {
      if (!world.user_index.emplace(user.id, world.users.size()).second) {
        return InvalidArgumentError("user " + user.id + " is listed twice");
      }
      world.users.push_back(user);
    }
    for (const Queue& queue : spec.queues) {
      if (!world.queue_index.emplace(queue.id, world.queues.size()).second) {
        return InvalidArgumentError("queue " + queue.id + " is listed twice");
      }
      world.queues.push_back(queue);
    }
    std::unordered_set<std::string> client_ids;
    for (const OAuthClient& client : spec.oauth_clients) {
      if (!client_ids.insert(client.id).second) {
        return InvalidArgumentError("OAuth client " + client.id + " is listed twice");
      }
      if (!client.user_id.empty() && !world.user_index.count(client.user_id)) {
        return InvalidArgumentError("OAuth client " + client.id + ": userId " + client.user_id +
                                    " is not one of the world's users");
      }
    }
    const TimePoint now = clock_.Now();
    for (size_t i = 0; i < spec.conversations.size(); ++i) {
      auto added = AddConversationTo(world, ids, spec.conversations[i], now);
      if (!added.ok()) {
        return InvalidArgumentError("/conversations/" + std::to_string(i) + ": " +
                                    added.status().message());
      }
    }
    std::mt19937_64 rng(options_.seed);
    std::uniform_real_distribution<double> draw(0.0, 1.0);
    for (const GeneratedBridges& gen : spec.generated) {
      for (int b = 0; b < gen.bridges; ++b) {
        ConversationSpec conv{.name = "Generated bridge " + std::to_string(b + 1)};
        const size_t first_silent = gen.purposes.size() - gen.silent_legs;
        for (size_t i = 0; i < gen.purposes.size(); ++i) {
          const Purpose purpose = gen.purposes[i];
          const bool silent = i >= first_silent || draw(rng) < gen.silent_fraction;
          conv.legs.push_back({.purpose = purpose, .queue_id = gen.queue_id,
                               .speech = silent ? SpeechScript::Never() : gen.talk});
        }
        auto added = AddConversationTo(world, ids, conv, now);
        if (!added.ok()) return added.status();
      }
    }
    return Status::Ok();
  }

  Status CheckReferences(const std::vector<LegSpec>& legs) const {
    for (const LegSpec& leg : legs) {
      if (!leg.user_id.empty() && !world_.user_index.count(leg.user_id)) {
        return ApiStatus(codes::kInvalidValue, "User " + leg.user_id + " does not exist.");
      }
      if (!leg.queue_id.empty() && !world_.queue_index.count(leg.queue_id)) {
        return ApiStatus(codes::kInvalidValue, "Queue " + leg.queue_id + " does not exist.");
      }
    }
    return Status::Ok();
  }

  static Result<std::vector<LegSpec>> ParseDestinations(const json& list, const std::string& field) {
    if (!list.is_array()) return ApiStatus(codes::kBadRequest, "Field " + field + " must be an array.");
    std::vector<LegSpec> legs;
    for (const json& item : list) {
      if (!item.is_object()) {
        return ApiStatus(codes::kBadRequest, "Each of " + field + " must be an object.");
      }
      LegSpec leg{.purpose = Purpose::kExternal};
      for (const char* key : {"address", "name", "userId", "queueId"}) {
        if (item.contains(key) && !item[key].is_string()) {
          return ApiStatus(codes::kBadRequest, field + "[]." + key + " must be a string.");
        }
      }
      leg.address = item.value("address", "");
      leg.name = item.value("name", "");
      leg.user_id = item.value("userId", "");
      leg.queue_id = item.value("queueId", "");
      if (!leg.user_id.empty()) leg.purpose = Purpose::kUser;
      else if (!leg.queue_id.empty()) leg.purpose = Purpose::kAcd;
      else if (leg.address.empty()) {
        return ApiStatus(codes::kBadRequest, field + "[] needs an address, userId or queueId.");
      }
      legs.push_back(std::move(leg));
    }
    return legs;
  }

  // API and timeline writes, with mu_ held: within the limits, into world_.
  Result<std::string> AddConversationLocked(const ConversationSpec& spec) {
    if (Status fits = CheckGrowth(1, spec.legs.size()); !fits.ok()) return fits;
    return AddConversationTo(world_, ids_, spec, clock_.Now());
  }
  Result<std::string> AddLegLocked(Conversation& conv, const LegSpec& spec) {
    if (Status fits = CheckGrowth(0, 1); !fits.ok()) return fits;
    return AddLegTo(world_, ids_, conv, spec, clock_.Now());
  }
  Status CheckGrowth(size_t conversations, size_t legs) const {
    const WorldLimits& limits = options_.limits;
    if (world_.conversations.size() + conversations > limits.max_conversations) {
      return ApiStatus(codes::kBadRequest, "The world already holds " +
                                               std::to_string(world_.conversations.size()) +
                                               " conversations, the limit (--max-conversations).");
    }
    if (world_.leg_storage.size() + legs > limits.max_legs) {
      return ApiStatus(codes::kBadRequest, "The world holds " +
                                               std::to_string(world_.leg_storage.size()) +
                                               " legs; " + std::to_string(legs) +
                                               " more would pass the limit of " +
                                               std::to_string(limits.max_legs) + " (--max-legs).");
    }
    return Status::Ok();
  }

  static Result<std::string> AddConversationTo(World& world, IdGenerator& ids,
                                               const ConversationSpec& spec, TimePoint now) {
    const std::string id = spec.id.empty() ? ids.NextUuid() : spec.id;
    if (world.conversations.count(id)) return InvalidArgumentError("conversation " + id + " already exists");
    std::unordered_set<std::string> leg_ids;
    for (const LegSpec& leg : spec.legs) {
      if (leg.id.empty()) continue;
      if (world.legs.count(leg.id) || !leg_ids.insert(leg.id).second) {
        return InvalidArgumentError("participant " + leg.id + " already exists");
      }
    }
    for (const LegSpec& leg : spec.legs) {
      for (const std::string* link : {&leg.monitored_participant_id, &leg.coached_participant_id,
                                      &leg.barged_participant_id}) {
        if (!link->empty() && !leg_ids.count(*link)) {
          return InvalidArgumentError("participant link " + *link +
                                      " does not name a leg of the same conversation");
        }
      }
    }
    Conversation& conv = world.conversations[id];
    conv.id = id;
    conv.name = spec.name;
    conv.start_time = now;
    world.by_start.push_back(&conv);
    for (const LegSpec& leg : spec.legs) {
      auto added = AddLegTo(world, ids, conv, leg, now);
      if (!added.ok()) return added.status();
    }
    return id;
  }

  static Result<std::string> AddLegTo(World& world, IdGenerator& ids, Conversation& conv,
                                      const LegSpec& spec, TimePoint now) {
    const std::string id = spec.id.empty() ? ids.NextUuid() : spec.id;
    if (world.legs.count(id)) return InvalidArgumentError("participant " + id + " already exists");
    Participant& leg = world.leg_storage.emplace_back();
    leg.id = id;
    world.legs.emplace(leg.id, &leg);
    leg.conversation_id = conv.id;
    leg.name = spec.name;
    leg.address = spec.address;
    leg.user_id = spec.user_id;
    leg.queue_id = spec.queue_id;
    leg.purpose = spec.purpose;
    leg.direction = spec.direction;
    leg.state = spec.state == LegState::kAlerting ? LegState::kAlerting : LegState::kConnected;
    leg.held = spec.held && leg.state == LegState::kConnected;
    leg.muted = spec.muted;
    leg.confined = spec.confined;
    leg.recording = spec.recording;
    leg.monitored_participant_id = spec.monitored_participant_id;
    leg.coached_participant_id = spec.coached_participant_id;
    leg.barged_participant_id = spec.barged_participant_id;
    leg.start_time = now;
    if (leg.state == LegState::kConnected) leg.connected_time = now;
    leg.speech = spec.speech;
    leg.speech_anchor = now;
    leg.audible_since = now;
    OpenSegment(leg, now);
    conv.participants.push_back(&leg);
    return id;
  }

  // --- changing legs ---

  // Every change to what a leg is or says goes through here: what it said so far is folded
  // into heard_before, and its analytics segment is cut where anything visible changed.
  template <typename Fn>
  void ChangeLeg(Participant& leg, TimePoint now, Fn&& change) {
    leg.heard_before = ComputeMedia(leg, now).last_heard_at;
    leg.audible_since = now;
    const bool was_held = leg.held, was_muted = leg.muted;
    const LegState was_state = leg.state;
    change(leg);
    if (was_held != leg.held || was_muted != leg.muted || was_state != leg.state) {
      if (!leg.segments.empty() && !leg.segments.back().end) leg.segments.back().end = now;
      OpenSegment(leg, now);
    }
  }

  static void OpenSegment(Participant& leg, TimePoint now) {
    if (leg.state == LegState::kAlerting) {
      leg.segments.push_back({"alert", now, std::nullopt, false});
    } else if (leg.state == LegState::kConnected) {
      leg.segments.push_back({leg.held ? "hold" : "interact", now, std::nullopt, leg.muted});
    }
  }

  Status SetFlag(const std::string& participant_id, bool Participant::*member, bool value) {
    auto lock = LockForWrite();
    Participant* leg = FindLeg(participant_id);
    if (leg == nullptr) return LegNotFound(participant_id);
    if (leg->*member == value) return Status::Ok();
    if (!IsLive(leg->state)) return ApiStatus(codes::kCallDisconnected);
    if (member == &Participant::held && value && leg->state == LegState::kAlerting) {
      return ApiStatus(codes::kHoldAlerting);
    }
    ChangeLeg(*leg, clock_.Now(), [&](Participant& p) { p.*member = value; });
    return Status::Ok();
  }

  void ScheduleDrop(Participant& leg, TimePoint now) {
    if (disconnect_latency_ <= Duration::zero()) {
      Disconnect(leg, now, "client", "drop landed");
      return;
    }
    const std::string id = leg.id;
    leg.pending_drop = ScheduleLocked(now + disconnect_latency_, [this, id](TimerId timer) {
      Participant* target = FindLeg(id);
      if (target == nullptr || target->pending_drop != timer) return;
      target->pending_drop = 0;
      Disconnect(*target, clock_.Now(), "client",
                 "drop landed, " + FormatDuration(disconnect_latency_) + " after it was accepted");
    });
  }

  UpdateOutcome& EndLater(Conversation& conv, UpdateOutcome& out, int http_status) {
    if (conv.end_time) return Refuse(out, ApiStatus(codes::kCallDisconnected));
    out.effect = Effect::kAccepted;
    out.http_status = http_status;
    if (conv.pending_end != 0) {
      out.effect_text = "conversation end already accepted";
      return out;
    }
    const TimePoint now = clock_.Now();
    for (const Participant* leg : conv.participants) {
      if (!IsLive(leg->state)) continue;
      const TimePoint silent_since = ComputeMedia(*leg, now).silent_since;
      out.drop_silent_since = std::max(out.drop_silent_since.value_or(silent_since), silent_since);
    }
    out.effect_text = "conversation end accepted: every leg terminates at " +
                      FormatIso8601(now + disconnect_latency_);
    const std::string id = conv.id;
    conv.pending_end = ScheduleLocked(now + disconnect_latency_, [this, id](TimerId timer) {
      Conversation* target = FindConversation(id);
      if (target == nullptr || target->pending_end != timer) return;
      EndConversation(*target, clock_.Now(), "client");
      journal_.Append({.at = clock_.Now(), .kind = "effect", .conversation_id = id,
                       .effect = "conversation ended by request: every leg terminated"});
    });
    return out;
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

  void CancelTimers(World& world) {
    for (const Participant& leg : world.leg_storage) {
      if (leg.pending_drop) clock_.Cancel(leg.pending_drop);
    }
    for (auto& [id, conv] : world.conversations) {
      if (conv.pending_end) clock_.Cancel(conv.pending_end);
    }
  }

  // The leg goes: media stops, endTime set. Fewer than two people left ends the conversation.
  void Disconnect(Participant& leg, TimePoint now, const std::string& disconnect_type,
                  const std::string& why) {
    if (leg.pending_drop) {
      clock_.Cancel(leg.pending_drop);
      leg.pending_drop = 0;
    }
    ChangeLeg(leg, now, [&](Participant& p) {
      p.state = LegState::kDisconnected;
      p.disconnect_type = disconnect_type;
      p.end_time = now;
    });
    std::string effect = "leg disconnected (disconnectType " + disconnect_type + "): " + why;
    Conversation& conv = world_.conversations.at(leg.conversation_id);
    const auto people = std::count_if(conv.participants.begin(), conv.participants.end(),
                                      [](const Participant* p) {
                                        return IsHuman(p->purpose) && p->state == LegState::kConnected;
                                      });
    if (people < 2 && !conv.end_time) {
      EndConversation(conv, now, "peer");
      effect += "; conversation ended: fewer than two people left, every leg terminated";
    } else {
      effect += "; the conversation goes on with " + std::to_string(people) + " people";
    }
    journal_.Append({.at = now, .kind = "effect", .conversation_id = conv.id,
                     .participant_id = leg.id, .effect = effect});
  }

  void EndConversation(Conversation& conv, TimePoint now, const std::string& disconnect_type) {
    for (Participant* leg : conv.participants) {
      if (leg->pending_drop) {
        clock_.Cancel(leg->pending_drop);
        leg->pending_drop = 0;
      }
      if (leg->state == LegState::kTerminated) continue;
      ChangeLeg(*leg, now, [&](Participant& p) {
        if (IsLive(p.state)) {
          p.disconnect_type = disconnect_type;
          p.end_time = now;
        }
        p.state = LegState::kTerminated;
      });
    }
    if (conv.pending_end) {
      clock_.Cancel(conv.pending_end);
      conv.pending_end = 0;
    }
    conv.end_time = now;
  }

  const SimulatorOptions options_;
  Clock& clock_;
  mutable std::shared_mutex mu_;  // guards world_, ids_, profile_, disconnect_latency_, rate_limit_
  World world_;
  IdGenerator ids_;
  Profile profile_ = Profile::kObserved;
  Duration disconnect_latency_{};
  int rate_limit_ = 0;
  std::mutex reset_mu_;  // one Reset at a time; held while a world is built aside
  std::mutex org_mu_;    // guards org_, token_ids_
  Org org_;
  IdGenerator token_ids_;
  Journal journal_;
  std::shared_ptr<Lifeline> lifeline_;
  uint64_t generation_ = 0;  // guarded by mu_; bumped by every write (LockForWrite)
  // The last SilentLegs listing: paging through it at one instant reads it once, not per page.
  struct SilentCache {
    Duration silent_for{};
    TimePoint now{};
    uint64_t generation = 0;
    std::shared_ptr<const std::vector<SilentLeg>> legs;
  };
  mutable std::mutex silent_cache_mu_;  // guards silent_cache_ (readers share mu_)
  mutable SilentCache silent_cache_;
};

}  // namespace

QueueObservation ObserveQueue(const WorldView& world, const std::string& queue_id) {
  QueueObservation out;
  for (const Conversation* conv : world.ConversationsByStart()) {
    if (conv->end_time) continue;
    bool acd_waiting = false;
    bool staffed = false;
    for (const Participant* leg : conv->participants) {
      if (leg->state != LegState::kConnected) continue;
      const bool works_calls = leg->purpose == Purpose::kAgent || leg->purpose == Purpose::kUser;
      staffed |= works_calls;
      if (leg->queue_id != queue_id) continue;
      if (works_calls) ++out.interacting;
      if (leg->purpose == Purpose::kAcd) acd_waiting = true;
    }
    if (acd_waiting && !staffed) ++out.waiting;
  }
  return out;
}

WorldSize SizeOf(const WorldSpec& world) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const auto add = [](uint64_t a, uint64_t b) { return b > kMax - a ? kMax : a + b; };
  WorldSize size;
  for (const ConversationSpec& conv : world.conversations) {
    size.conversations = add(size.conversations, 1);
    size.legs = add(size.legs, conv.legs.size());
  }
  for (const GeneratedBridges& gen : world.generated) {
    const uint64_t bridges = gen.bridges > 0 ? static_cast<uint64_t>(gen.bridges) : 0;
    const uint64_t per_bridge = gen.purposes.size();
    size.conversations = add(size.conversations, bridges);
    size.legs = add(size.legs, per_bridge != 0 && bridges > kMax / per_bridge
                                   ? kMax
                                   : bridges * per_bridge);
  }
  return size;
}

Status CheckWorldLimits(const WorldSpec& world, const WorldLimits& limits) {
  const WorldSize size = SizeOf(world);
  if (size.legs > limits.max_legs) {
    return InvalidArgumentError("the world has " + std::to_string(size.legs) +
                                " legs, more than the limit of " +
                                std::to_string(limits.max_legs) + " (--max-legs)");
  }
  if (size.conversations > limits.max_conversations) {
    return InvalidArgumentError("the world has " + std::to_string(size.conversations) +
                                " conversations, more than the limit of " +
                                std::to_string(limits.max_conversations) +
                                " (--max-conversations)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Simulator>> Simulator::Create(const SimulatorOptions& options,
                                                     const WorldSpec& world) {
  if (options.clock == nullptr) return InvalidArgumentError("SimulatorOptions.clock is required");
  auto simulator = std::make_unique<SimulatorImpl>(options);
  Status loaded = simulator->Reset(world);
  if (!loaded.ok()) return loaded;
  return std::unique_ptr<Simulator>(std::move(simulator));
}

}  // namespace gcsim::core
