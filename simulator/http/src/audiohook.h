// AudioHook Monitor with gcsim as the AudioHook client: for each leg of a person that is
// connected, one session to the configured AudioHook server (open/opened, ping/pong,
// pause/paused, resume/resumed, close/closed, disconnect, as the protocol runs them), streaming
// the leg's audio as PCMU at 8 kHz in the protocol's two channels: "external" carries the leg
// (a square wave while others hear it talk, silence while it is quiet, muted or held),
// "internal" silence. A session's position 0 is the instant it opened. Its audio follows the
// simulator's clock in frames of at most 100 ms (a second while catching up), the last one
// partial, so that a server that waits for it knows every sample up to now (the sample at now
// included); a leg that left ends before the instant it left, then its session closes. A
// session that cannot connect or loses its socket is followed by a new one after 5 s of
// simulator time. One thread runs every socket; the core never sees one.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "gcsim/common/status.h"
#include "gcsim/core/simulator.h"
#include "gcsim/http/server.h"

namespace gcsim::http {

class AudioHookStreams {
 public:
  // `sim` must outlive this.
  AudioHookStreams(const core::Simulator& sim, AudioHookOptions options);
  ~AudioHookStreams();

  // Checks the URL and starts the thread; sessions open as legs are seen connected.
  Status Start();
  // Closes every socket (without the closing exchange) and joins the thread. Idempotent.
  void Stop();
  // Opens a session for every connected person's leg that has none, and waits (at most
  // `limit`, wall time) until each is open and has sent its audio up to the clock's now, or
  // has failed. False at the limit.
  bool Sync(std::chrono::milliseconds limit);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gcsim::http
