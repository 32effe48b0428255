// The `audiohook` activity source: silence heard in the calls' audio, as an AudioHook Monitor
// server hears it. See AudioHookActivitySource.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gcsim/client/activity_source.h"
#include "gcsim/common/clock.h"

namespace gcsim::client {

struct AudioHookActivitySourceOptions {
  std::string listen_host = "127.0.0.1";
  int listen_port = 0;  // 0: any free port; port() says which
  // When set, a connection without this X-API-KEY is refused (401).
  std::string api_key;
  // Voice activity: a block of 20 ms of the "external" channel whose RMS (of 32767) is above
  // this holds voice.
  double voice_threshold = 500;
  // After the last block with voice, the leg still counts as heard this long.
  Duration hangover = std::chrono::milliseconds(300);
  // Wall time allowed for the streams to reach the clock's now before a tick gives up on the
  // ones still behind (they claim no silence).
  std::chrono::milliseconds sync_timeout{3000};
};

// Runs an AudioHook server (the protocol's server side: opened, pong, closed). Each session's
// "external" channel is the leg its `open` names (participant.id; gcsim streams one session per
// leg). A leg is silent since the later of the start of its audio and the end of its last block
// with voice plus the hangover; the session's position 0 is the clock's time when `open`
// arrived, less the position it carried. Safety: silence is claimed only over audio received up
// to the instant of the claim (the source waits for it, up to sync_timeout), so a leg that left
// (its audio stops, then its session closes) or whose stream stalled is never claimed, nor is a
// leg without a session. The source makes no request: the reaper confirms each candidate on its
// conversation (still connected, its purpose allowed).
// Not thread-safe (one reaper); it owns the server's thread. Holds a reference to the clock.
class AudioHookActivitySource final : public ActivitySource {
 public:
  // What the server has taken in, for logs and benchmarks.
  struct Stats {
    size_t sessions = 0;  // open now
    Duration audio{};     // received since Start(), summed over every session
  };

  explicit AudioHookActivitySource(Clock& clock, AudioHookActivitySourceOptions options = {});
  ~AudioHookActivitySource() override;

  // Binds and starts serving. Fails when the address cannot be bound.
  Status Start();
  // The bound port, 0 before Start().
  int port() const;
  Stats stats() const;

  Result<std::vector<Candidate>> Candidates(TimePoint now, Duration idle_timeout) override;
  Result<std::optional<TimePoint>> SilentSince(const std::string& conversation_id,
                                               const std::string& participant_id,
                                               TimePoint now) override;
  const char* name() const override { return "audiohook"; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gcsim::client
