// `gcsim serve`: the simulator over HTTP until SIGINT or SIGTERM.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "gcsim/core/simulator.h"
#include "gcsim/http/server.h"

namespace gcsim::cli {

struct ServeOptions {
  std::string host = "127.0.0.1";  // interface to bind
  int port = 8080;                 // 0: any free port (the address printed says which)
  std::string world_file;          // a world JSON file; empty: the demo world
  std::string profile;             // observed | documented | strict; empty: the world's own
  std::string clock = "real";      // real | manual (moved only by POST /sim/v1/clock/advance)
  std::optional<double> time_scale;  // real clock only: runs that many times as fast, from the
                                     // simulation start (2026-01-01T09:00:00Z)
  std::string idle_timeout = "10m";  // what /sim/v1/metrics judges idle legs and drops against
  std::string disconnect_latency;  // e.g. "250ms"; empty: the world's own
  std::optional<int> rate_limit;   // per client per minute, 0: unlimited; unset: the world's
  uint64_t seed = 1;               // ids, tokens, correlation ids and generated worlds
  size_t threads = 32;             // HTTP workers started up front (more start on demand)
  size_t max_connections = 1024;   // connections served at once; past it: 503 and close
  std::string keep_alive_timeout = "5s";  // idle time allowed between requests
  std::string request_timeout = "10s";    // time allowed to send a whole request
  size_t journal_limit = 100'000;  // journal entries kept
  core::WorldLimits limits;        // --max-legs, --max-conversations
  http::AudioHookOptions audiohook;  // --audiohook-url and its key; empty url: the world's
};

// Adds the `serve` subcommand to `app`; parsing fills `options`, which must outlive it.
void SetupServe(CLI::App& app, ServeOptions& options);

// Serves until SIGINT or SIGTERM; prints "listening on http://HOST:PORT" once connections are
// accepted. Returns 0 after a clean stop, 2 for a bad option or world, 1 when it cannot listen.
int RunServe(const ServeOptions& options);

}  // namespace gcsim::cli
