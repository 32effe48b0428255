// gcsim on the demo world, serving on loopback on a ManualClock, and the bundled ApiClient
// logged in as demo-client (on the same clock, or on one of its own): what the tests of the
// client's activity sources and of the reaper run against.
#pragma once

#include <memory>
#include <string>

#include "gcsim/client/api_client.h"
#include "gcsim/client/transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"
#include "gcsim/http/server.h"

namespace gcsim::testing {

struct GcsimAndClient {
  // The client keeps `client_clock` when given, the server's clock otherwise.
  explicit GcsimAndClient(ManualClock& clock, Clock* client_clock = nullptr)
      : sim(core::Simulator::Create({.clock = &clock}, core::DemoWorld()).value()),
        server(http::Server::Create({.simulator = sim.get(), .manual_clock = &clock, .threads = 4})
                   .value()) {
    const int port = *server->Start();
    client = std::make_unique<client::ApiClient>(
        client::ApiClientOptions{.api_url = "http://127.0.0.1:" + std::to_string(port),
                                 .client_id = "demo-client",
                                 .client_secret = "demo-secret"},
        client_clock != nullptr ? *client_clock : clock, *transport);
  }
  // Whatever uses the client (a source, a reaper) goes first; then the client's keep-alive
  // connections close before the server stops.
  ~GcsimAndClient() {
    client.reset();
    transport.reset();
    server->Stop();
  }
  GcsimAndClient(const GcsimAndClient&) = delete;
  GcsimAndClient& operator=(const GcsimAndClient&) = delete;

  std::unique_ptr<core::Simulator> sim;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<client::HttpTransport> transport = std::make_unique<client::HttpTransport>();
  std::unique_ptr<client::ApiClient> client;
};

}  // namespace gcsim::testing
