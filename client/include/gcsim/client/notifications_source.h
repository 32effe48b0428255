// The `notifications` activity source: silence heard the way a real org hears it, from the
// notifications channel's events instead of polling. See NotificationsActivitySource.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gcsim/client/activity_source.h"
#include "gcsim/common/clock.h"

namespace gcsim::client {

struct NotificationsActivitySourceOptions {
  // Queues whose calls are watched; empty: every queue GET /api/v2/routing/queues lists (first
  // 100).
  std::vector<std::string> queue_ids;
  // Wall time allowed for the channel to answer a ping (the sign that every event up to it has
  // arrived); past it the source claims no silence this tick.
  std::chrono::milliseconds sync_timeout{3000};
};

// Creates a channel, subscribes to the watched queues'
// `v2.routing.queues.{id}.conversations.calls`, and for each call it learns of to
// `v2.conversations.{id}` and `.transcription`. A leg is silent since the latest of: when the
// source began watching its conversation (caught up after the subscription), when it connected, and
// the end of its last utterance; a leg with an utterance under way is heard. Safety: before it
// claims any silence the source sends a ping and waits for the pong, which gcsim sends only after
// every event up to that moment; without the pong, or after the socket dropped (the watch starts
// again after reconnecting), it claims none. Each candidate is then confirmed on its conversation
// (GET of the call: still connected), and its silence read again on that answer's Date: the times
// are the server's, and the events carry no Date of their own. Not thread-safe (one reaper); it
// owns a socket thread. Holds a reference to the client and clock.
class NotificationsActivitySource final : public ActivitySource {
 public:
  NotificationsActivitySource(ApiClient& client, Clock& clock,
                              NotificationsActivitySourceOptions options = {});
  ~NotificationsActivitySource() override;

  Result<std::vector<Candidate>> Candidates(TimePoint now, Duration idle_timeout) override;
  Result<std::optional<TimePoint>> SilentSince(const std::string& conversation_id,
                                               const std::string& participant_id,
                                               TimePoint now) override;
  const char* name() const override { return "notifications"; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gcsim::client
