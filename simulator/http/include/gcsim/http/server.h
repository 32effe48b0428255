// The simulator over HTTP: the Genesys Cloud API v2 subset gcsim serves, the OAuth token
// endpoint and the /sim/v1 control plane, on cpp-httplib. Used by `gcsim serve`, by the scenario
// harness and by tests, in-process on port 0.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gcsim/common/clock.h"
#include "gcsim/common/status.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"

namespace gcsim::http {

// Where gcsim, as the AudioHook client, streams each connected person's leg (README: AudioHook
// Monitor).
struct AudioHookOptions {
  std::string url;      // ws://HOST:PORT/PATH (wss is not supported); empty: no streaming
  std::string api_key;  // sent as X-API-KEY when not empty
  std::string organization_id = "00000000-0000-4000-8000-000000000000";
  // Whether sessions open as the streams' own timer sees legs connect. False: only at
  // SyncAudioHook(), so that a server reading the clock when `open` arrives reads the instant
  // it was sent (the scenario harness, whose clock jumps between syncs).
  bool open_on_timer = true;
};

struct ServerOptions {
  // The world served; required, not owned, must outlive the server.
  core::Simulator* simulator = nullptr;
  // The simulator's clock when it is a ManualClock (not owned), so that POST
  // /sim/v1/clock/advance can move it; null when time is real (advance then answers 409).
  ManualClock* manual_clock = nullptr;
  // What an empty POST /sim/v1/reset restores: normally the world the simulator started with.
  core::WorldSpec initial_world;
  // Interface to bind; 127.0.0.1 keeps the simulator off the network.
  std::string host = "127.0.0.1";
  // 0: any free port (tests, the harness); Start() returns the one bound.
  int port = 0;
  // Every open connection holds a worker thread of its own: this many are started up front,
  // more as connections arrive, up to max_connections.
  size_t threads = 32;
  // Connections served at once. Past it a new connection is answered 503 (Retry-After: 1) and
  // closed, rather than left waiting for a worker.
  size_t max_connections = 1024;
  // Request bodies above this answer 413.
  size_t max_body_bytes = 1 << 20;
  // How long an idle keep-alive connection stays open between requests.
  std::chrono::seconds keep_alive_timeout{5};
  // How long a connection may take to send a whole request (line, headers, body) beyond the
  // idle time above; past it the connection is answered 408 and closed (slow clients cannot
  // hold a worker for long).
  std::chrono::seconds request_timeout{10};
  // Record every request in the simulator's journal (GET /sim/v1/journal and /sim/v1/health
  // are never recorded).
  bool journal = true;
  // Seeds the ININ-Correlation-Id generator: same seed and same requests, same ids.
  uint64_t seed = 1;
  // Serve requests numbered in an X-Gcsim-Order header in that order: each waits (up to a
  // second) for the one numbered before it. For the scenario harness, whose reaper may send
  // several requests at once and whose journal must be the same run after run.
  bool order_requests = false;
  // How long after an answer a client's drop still counts as made on it (its own work between
  // the two): speech that begins while that answer is on its way is then not an early drop
  // (core::IsEarlyDrop). 0: only a drop sent the instant the answer came.
  Duration think_time{};
  // AudioHook Monitor: Start() streams every connected person's leg to this server. Empty
  // url: the initial world's `audiohook` setting, if any.
  AudioHookOptions audiohook;
};

// One request handed to Server::AnswerInProcess, and its answer: what a connection carries.
struct InProcessRequest {
  std::string method = "GET";
  std::string target;  // path and query as on the request line: "/sim/v1/media?silentFor=10m"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
struct InProcessResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool connection_lost = false;  // a reset or close fault: the client gets no whole answer
};

// What the server has done with connections since it started.
struct ConnectionStats {
  size_t accepted = 0;   // served (each holds a worker while open)
  size_t refused = 0;    // answered 503 past max_connections
  size_t timed_out = 0;  // closed for a request that did not arrive in time
};

// Thread-safe. Requests are served concurrently on the worker pool; Start() and Stop() may be
// called from any thread, and the destructor stops the server.
class Server {
 public:
  // Fails when the options are unusable (no simulator, no threads).
  static Result<std::unique_ptr<Server>> Create(ServerOptions options);
  virtual ~Server() = default;

  // Binds and starts serving on a background thread; returns the bound port. Connections are
  // accepted as soon as it returns. Fails when the address cannot be bound or when already
  // started.
  virtual Result<int> Start() = 0;
  // Stops accepting, finishes the requests in flight, closes every connection (idle ones at
  // once) and joins every thread. Idempotent.
  virtual void Stop() = 0;
  // The bound port, or 0 before Start().
  virtual int port() const = 0;
  // Answers one request in this process, without a socket: routed, authenticated, charged and
  // journaled as a request read from a connection is (the framing and body-size checks of a
  // connection do not apply). Works whether or not Start() was called. For clients in the same
  // process, such as tests that drive the reaper on the simulator's own clock.
  virtual InProcessResponse AnswerInProcess(const InProcessRequest& request) = 0;
  virtual ConnectionStats connection_stats() const = 0;
  // Waits, at most `limit` of wall time, until `count` connections have been accepted (tests
  // that open connections and must know the server holds them); false at the limit.
  virtual bool AwaitAccepted(size_t count, std::chrono::milliseconds limit) const = 0;
  // Starts streaming to an AudioHook server (after Start(), when the options named none). Fails
  // on a bad URL or when already streaming; a server that cannot be reached is told on stderr
  // and tried again, never waited for.
  virtual Status StreamAudioHook(AudioHookOptions options) = 0;
  // Opens an AudioHook session for every connected person's leg that has none and waits, at
  // most `limit` of wall time, until each is open and has sent its audio up to the clock's
  // now. True at once when not streaming; false at the limit.
  virtual bool SyncAudioHook(std::chrono::milliseconds limit) = 0;
};

}  // namespace gcsim::http
