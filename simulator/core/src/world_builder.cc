#include "world_builder.h"

#include <limits>
#include <random>
#include <unordered_set>

#include "gcsim/core/api_errors.h"
#include "leg_lifecycle.h"

namespace gcsim::core {

Status BuildWorld(const WorldSpec& spec, WorldState& world, IdGenerator& ids, TimePoint now,
                  uint64_t seed) {
  world.loaded_at = now;
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
  for (const WrapupCode& code : spec.wrapup_codes) {
    if (!world.wrapup_code_index.emplace(code.id, world.wrapup_codes.size()).second) {
      return InvalidArgumentError("wrap-up code " + code.id + " is listed twice");
    }
    world.wrapup_codes.push_back(code);
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
  // Sized once: a million legs grown by rehashing cost seconds.
  size_t conversations = spec.conversations.size(), legs = 0;
  for (const ConversationSpec& conv : spec.conversations) legs += conv.legs.size();
  for (const GeneratedBridges& gen : spec.generated) {
    conversations += static_cast<size_t>(gen.bridges);
    legs += static_cast<size_t>(gen.bridges) * gen.purposes.size();
  }
  world.conversations.reserve(world.conversations.size() + conversations);
  world.by_start.reserve(world.by_start.size() + conversations);
  world.legs.Reserve(world.legs.size() + legs);
  for (size_t i = 0; i < spec.conversations.size(); ++i) {
    auto added = AddConversationTo(world, ids, spec.conversations[i], now);
    if (!added.ok()) {
      return InvalidArgumentError("/conversations/" + std::to_string(i) + ": " +
                                  added.status().message());
    }
  }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  for (const GeneratedBridges& gen : spec.generated) {
    // One bridge's spec, reused: only its name and who talks change from bridge to bridge.
    ConversationSpec conv;
    for (const Purpose purpose : gen.purposes) {
      conv.legs.push_back({.purpose = purpose, .queue_id = gen.queue_id});
    }
    const size_t first_silent = gen.purposes.size() - gen.silent_legs;
    for (int b = 0; b < gen.bridges; ++b) {
      conv.name = "Generated bridge " + std::to_string(b + 1);
      for (size_t i = 0; i < conv.legs.size(); ++i) {
        const bool silent = i >= first_silent || draw(rng) < gen.silent_fraction;
        conv.legs[i].speech = silent ? SpeechScript::Never() : gen.talk;
      }
      auto added = AddConversationTo(world, ids, conv, now);
      if (!added.ok()) return added.status();
    }
  }
  return Status::Ok();
}

Result<std::string> AddConversationTo(WorldState& world, IdGenerator& ids,
                                      const ConversationSpec& spec, TimePoint now) {
  std::unordered_set<std::string> leg_ids;
  for (const LegSpec& leg : spec.legs) {
    if (leg.id.empty()) continue;
    if (world.FindLeg(leg.id) != nullptr || !leg_ids.insert(leg.id).second) {
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
      if (!link->empty() && *link == leg.id) {
        return InvalidArgumentError("participant " + leg.id + " cannot supervise itself");
      }
    }
  }
  std::string id = spec.id.empty() ? ids.NextUuid() : spec.id;
  const auto [slot, fresh] = world.conversations.try_emplace(id);
  if (!fresh) return InvalidArgumentError("conversation " + id + " already exists");
  Conversation& conv = slot->second;
  conv.id = std::move(id);
  conv.participants.reserve(spec.legs.size());
  conv.name = spec.name;
  conv.start_time = now;
  world.by_start.push_back(&conv);
  for (const LegSpec& leg : spec.legs) {
    auto added = AddLegTo(world, ids, conv, leg, now);
    if (!added.ok()) return added.status();
  }
  return conv.id;
}

Result<std::string> AddLegTo(WorldState& world, IdGenerator& ids, Conversation& conv,
                             const LegSpec& spec, TimePoint now) {
  Participant& leg = world.leg_storage.emplace_back();
  leg.id = spec.id.empty() ? ids.NextUuid() : spec.id;
  if (!world.legs.Insert(&leg)) {
    std::string taken = std::move(leg.id);
    world.leg_storage.pop_back();
    return InvalidArgumentError("participant " + taken + " already exists");
  }
  leg.conversation = &conv;
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
  if (!spec.monitored_participant_id.empty() || !spec.coached_participant_id.empty() ||
      !spec.barged_participant_id.empty()) {
    leg.links = Participant::Links{.monitored_participant_id = spec.monitored_participant_id,
                                   .coached_participant_id = spec.coached_participant_id,
                                   .barged_participant_id = spec.barged_participant_id};
  }
  // A person reached through a queue wraps up after the call, as the queue says at routing.
  if ((leg.purpose == Purpose::kAgent || leg.purpose == Purpose::kUser) && !leg.user_id.empty()) {
    if (const Queue* queue = world.FindQueue(leg.queue_id)) leg.acw = queue->acw;
  }
  leg.start_time = now;
  if (leg.state == LegState::kConnected) leg.connected_time = now;
  leg.speech = spec.speech;
  leg.speech_anchor = now;
  leg.audible_since = now;
  OpenSegment(leg, now);
  world.silence.Update(leg, now);
  conv.participants.push_back(&leg);
  return leg.id;
}

Status CheckGrowth(const WorldState& world, const WorldLimits& limits, size_t conversations,
                   size_t legs) {
  if (world.conversations.size() + conversations > limits.max_conversations) {
    return ApiStatus(codes::kBadRequest,
                     "The world already holds " + std::to_string(world.conversations.size()) +
                         " conversations, the limit (gcsim serve --max-conversations).");
  }
  if (world.leg_storage.size() + legs > limits.max_legs) {
    return ApiStatus(codes::kBadRequest,
                     "The world holds " + std::to_string(world.leg_storage.size()) + " legs; " +
                         std::to_string(legs) + " more would pass the limit of " +
                         std::to_string(limits.max_legs) + " (gcsim serve --max-legs).");
  }
  return Status::Ok();
}

Status CheckReferences(const WorldState& world, const std::vector<LegSpec>& legs) {
  for (const LegSpec& leg : legs) {
    if (!leg.user_id.empty() && !world.user_index.count(leg.user_id)) {
      return ApiStatus(codes::kInvalidValue, "User " + leg.user_id + " does not exist.");
    }
    if (!leg.queue_id.empty() && !world.queue_index.count(leg.queue_id)) {
      return ApiStatus(codes::kInvalidValue, "Queue " + leg.queue_id + " does not exist.");
    }
  }
  return Status::Ok();
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
                                " legs, more than the limit of " + std::to_string(limits.max_legs) +
                                " (gcsim serve --max-legs)");
  }
  if (size.conversations > limits.max_conversations) {
    return InvalidArgumentError("the world has " + std::to_string(size.conversations) +
                                " conversations, more than the limit of " +
                                std::to_string(limits.max_conversations) +
                                " (gcsim serve --max-conversations)");
  }
  return Status::Ok();
}

}  // namespace gcsim::core
