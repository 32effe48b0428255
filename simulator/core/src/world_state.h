// The world a Simulator holds: every conversation, leg, user and queue, indexed by id. Plain
// data that the facade (simulator.cc) guards with its lock; the units that change it (the
// builder, the leg lifecycle, the API's writes) take it by reference.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gcsim/core/model.h"
#include "gcsim/core/simulator.h"
#include "leg_index.h"
#include "silent_listing.h"

namespace gcsim::core {

// Everything a Reset replaces. Legs live side by side in a deque (addresses never move, and
// scans such as the silence listing walk memory in order), indexed by id.
struct WorldState {
  std::deque<Participant> leg_storage;
  LegIndex legs;
  std::unordered_map<std::string, Conversation> conversations;
  std::vector<const Conversation*> by_start;
  std::vector<User> users;
  std::vector<Queue> queues;
  std::unordered_map<std::string, size_t> user_index;
  std::unordered_map<std::string, size_t> queue_index;
  std::vector<WrapupCode> wrapup_codes;
  std::unordered_map<std::string, size_t> wrapup_code_index;
  SilenceIndex silence;  // updated on every change to a leg (LegLifecycle::ChangeLeg)
  TimePoint loaded_at;   // when the world was built (its first calls were already up)

  Conversation* FindConversation(const std::string& id) {
    const auto it = conversations.find(id);
    return it == conversations.end() ? nullptr : &it->second;
  }
  const Conversation* FindConversation(const std::string& id) const {
    const auto it = conversations.find(id);
    return it == conversations.end() ? nullptr : &it->second;
  }
  Participant* FindLeg(std::string_view id) const { return legs.Find(id); }
  const Queue* FindQueue(const std::string& id) const {
    const auto it = queue_index.find(id);
    return it == queue_index.end() ? nullptr : &queues[it->second];
  }
  const WrapupCode* FindWrapupCode(const std::string& id) const {
    const auto it = wrapup_code_index.find(id);
    return it == wrapup_code_index.end() ? nullptr : &wrapup_codes[it->second];
  }
};

// A WorldView over `world` at one instant, with the world's settings.
class WorldStateView final : public WorldView {
 public:
  WorldStateView(const WorldState& world, uint64_t generation, TimePoint now, Profile profile,
                 Duration disconnect_latency, int rate_limit, Duration analytics_lag)
      : world_(world),
        generation_(generation),
        now_(now),
        profile_(profile),
        disconnect_latency_(disconnect_latency),
        rate_limit_(rate_limit),
        analytics_lag_(analytics_lag) {}
  uint64_t generation() const override { return generation_; }
  TimePoint now() const override { return now_; }
  TimePoint loaded_at() const override { return world_.loaded_at; }
  Profile profile() const override { return profile_; }
  Duration disconnect_latency() const override { return disconnect_latency_; }
  int rate_limit() const override { return rate_limit_; }
  Duration analytics_lag() const override { return analytics_lag_; }
  const Conversation* FindConversation(const std::string& id) const override {
    return world_.FindConversation(id);
  }
  const Participant* FindParticipant(const std::string& id) const override {
    return world_.FindLeg(id);
  }
  const std::vector<const Conversation*>& ConversationsByStart() const override {
    return world_.by_start;
  }
  const Conversation* ConversationByStartAt(size_t position) const override {
    return world_.by_start[position];
  }
  const std::vector<User>& users() const override { return world_.users; }
  const std::vector<Queue>& queues() const override { return world_.queues; }
  const User* FindUser(const std::string& id) const override {
    const auto it = world_.user_index.find(id);
    return it == world_.user_index.end() ? nullptr : &world_.users[it->second];
  }
  const Queue* FindQueue(const std::string& id) const override { return world_.FindQueue(id); }
  const std::vector<WrapupCode>& wrapup_codes() const override { return world_.wrapup_codes; }
  const WrapupCode* FindWrapupCode(const std::string& id) const override {
    return world_.FindWrapupCode(id);
  }

 private:
  const WorldState& world_;
  const uint64_t generation_;
  const TimePoint now_;
  const Profile profile_;
  const Duration disconnect_latency_;
  const int rate_limit_;
  const Duration analytics_lag_;
};

}  // namespace gcsim::core
