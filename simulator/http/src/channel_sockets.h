// The notification channels' WebSocket endpoint (ws://HOST:PORT/channels/{id}), on a port of its
// own beside the HTTP API, as the real service streams from a host of its own. One thread runs
// every socket and calls Notifications::Pump() every few milliseconds of wall time, so events
// follow the simulator's clock closely whether it is real, scaled or advanced by hand.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gcsim/common/status.h"
#include "notifications.h"

namespace gcsim::http {

class ChannelSockets {
 public:
  // Gives the correlation id of an answer (the HTTP API's own sequence).
  using CorrelationIds = std::function<std::string()>;

  // `hub` must outlive this.
  ChannelSockets(Notifications& hub, std::string host, CorrelationIds correlation_ids);
  ~ChannelSockets();

  // Listens on `host`, any free port, and starts the thread; returns the port.
  Result<int> Start();
  // Closes every socket and joins the thread. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gcsim::http
