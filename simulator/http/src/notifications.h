// The Notifications API: channels, their topic subscriptions, and the events a channel's socket
// receives, framed as the real service frames them. What happens in the world reaches a channel
// as a new snapshot of each conversation its topics cover, on the simulator's clock: Pump() looks
// at the world (the sockets' thread calls it often) and sends what changed since it last looked.
// The sockets themselves are in channel_sockets.h; this unit never sees one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gcsim/common/ids.h"
#include "gcsim/common/status.h"
#include "gcsim/core/simulator.h"
#include "router.h"

namespace gcsim::http {

struct NotificationLimits {
  size_t channels_per_client = 20;  // per OAuth client, as the real service counts per user+app
  size_t topics_per_channel = 1000;
  Duration channel_lifetime = std::chrono::hours(24);
  Duration heartbeat_every = std::chrono::seconds(30);
};

struct ChannelInfo {
  std::string id;
  std::string connect_uri;
  TimePoint expires;
};

// A topic as a subscription answers it: Permitted, or Rejected with the reason.
struct TopicState {
  std::string id;
  bool permitted = true;
  std::string rejection_reason;
};

// Thread-safe.
class Notifications {
 public:
  Notifications(core::Simulator& sim, uint64_t seed, NotificationLimits limits = {});

  // Where sockets connect: "ws://127.0.0.1:PORT" (set once the socket server is listening).
  void set_socket_base(std::string base);

  // --- the REST side, per OAuth client ---
  Result<ChannelInfo> CreateChannel(const std::string& client_id);
  std::vector<ChannelInfo> ChannelsOf(const std::string& client_id) const;
  // Not found (404) when the channel does not exist, has expired or is another client's.
  Result<std::vector<TopicState>> Subscriptions(const std::string& channel_id,
                                                const std::string& client_id) const;
  // Adds `topics` (or replaces every subscription with them). Topics gcsim does not model are
  // answered Rejected and not kept.
  Result<std::vector<TopicState>> Subscribe(const std::string& channel_id,
                                            const std::string& client_id,
                                            const std::vector<std::string>& topics, bool replace);
  Status Unsubscribe(const std::string& channel_id, const std::string& client_id);
  bool ChannelExists(const std::string& channel_id, const std::string& client_id) const;

  // --- the socket side ---
  // A socket opened on `channel_id`. The real service allows one connection per channel: one
  // attached before is closed. Empty when the channel does not exist (or has expired).
  using SendFn = std::function<void(std::string text)>;
  using CloseFn = std::function<void()>;
  std::optional<uint64_t> Attach(const std::string& channel_id, SendFn send, CloseFn close);
  void Detach(const std::string& channel_id, uint64_t session);
  // What the service answers a client's message: {"message":"ping"} gets a pong.
  std::optional<std::string> Answer(const std::string& message) const;

  // Sends each attached channel what changed in the world since the last call, heartbeats
  // every heartbeat_every of simulated time, and the closing notice on expiry.
  void Pump();

  // The latest instant at which `client_id`'s channels have told it, by a transcription event,
  // that the leg was heard: `at` itself while a burst they told the start of is under way.
  // Empty when they told it of none. What a drop of the leg may be judged to have known.
  std::optional<TimePoint> HeardTold(const std::string& client_id, const std::string& leg_id,
                                     TimePoint at) const;
  // After a world reset: what was told of the replaced world's legs says nothing of the new.
  void ForgetTold();

 private:
  // What a transcription subscription last saw of one leg.
  struct Voice {
    bool seen = false;                  // looked at before
    bool heard = false;                 // being heard at the last look
    TimePoint burst_start;              // when the burst under way began (heard)
    std::optional<TimePoint> reported;  // last_heard_at already told
  };
  struct Subscription {
    std::string topic;
    // Conversation id -> the event body last sent for it on this topic; on a detail-event
    // topic, participant id -> the event told (each leg's start or end is told once).
    std::map<std::string, std::string> sent;
    // Transcription topics: participant id -> its voice; the conversation's end told once.
    std::map<std::string, Voice> voices;
    std::optional<TimePoint> last_look;
    bool ended_told = false;
  };
  // What a channel's transcription events told of one leg, on any socket it had.
  struct Told {
    TimePoint heard_at;    // the leg was heard then (the end of the last burst told)
    bool talking = false;  // a burst's start was told, its end not yet
  };
  struct Channel {
    ChannelInfo info;
    std::string client_id;
    std::vector<Subscription> topics;
    std::map<std::string, Told> told;  // participant id -> what was told of its voice
    uint64_t session = 0;  // 0: no socket attached
    SendFn send;
    CloseFn close;
    TimePoint last_heartbeat;
  };
  struct Outgoing {
    SendFn send;
    std::string text;
  };

  Channel* FindOwned(const std::string& channel_id, const std::string& client_id);
  const Channel* FindOwned(const std::string& channel_id, const std::string& client_id) const;
  static std::optional<TimePoint> WatchStart(const std::string& topic, TimePoint now);
  void ForgetExpired(TimePoint now, std::vector<Outgoing>& out, std::vector<CloseFn>& closes);
  void CollectEvents(Channel& channel, const core::WorldView& world, std::vector<Outgoing>& out);
  void CollectDetailEvents(Subscription& subscription, const std::string& detail,
                           const core::Conversation& conv, SendFn& send, std::vector<Outgoing>& out);
  void CollectUtterances(Subscription& subscription, const core::Conversation& conv,
                         const core::WorldView& world, Channel& channel,
                         std::vector<Outgoing>& out);
  std::string Frame(const std::string& topic, const std::string& body);

  core::Simulator& sim_;
  const NotificationLimits limits_;
  mutable std::mutex mu_;
  IdGenerator ids_;
  std::string socket_base_;
  std::map<std::string, Channel> channels_;
  uint64_t next_session_ = 1;
};

// Why gcsim cannot stream `topic`, or empty when it models it:
// "v2.conversations.{id}", "v2.conversations.{id}.transcription",
// "v2.users.{id}.conversations.calls", "v2.routing.queues.{id}.conversations.calls",
// "v2.detail.events.conversation.{id}.(acd|user).(start|end)".
std::optional<std::string> UnmodelledTopicReason(const std::string& topic);

// The /api/v2/notifications routes; `hub` must outlive the router.
void AddNotificationRoutes(Router& router, Notifications& hub);

}  // namespace gcsim::http
