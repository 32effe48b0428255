// AudioHook Monitor with gcsim as the AudioHook client: for each leg of a person that is
// connected, one session to the configured AudioHook server (open, opened, audio, close,
// closed, as the protocol runs them), streaming the leg's audio as PCMU at 8 kHz in the
// protocol's two channels: "external" carries the leg (a tone while others hear it talk,
// silence while it is quiet, muted or held), "internal" silence. Frames of 100 ms follow the
// simulator's clock: under a manual clock they are sent as time is advanced. One thread runs
// every socket; the core never sees one.
#pragma once

#include <memory>
#include <string>

#include "gcsim/common/status.h"
#include "gcsim/core/simulator.h"

namespace gcsim::http {

struct AudioHookOptions {
  std::string url;             // ws://HOST:PORT/PATH (wss is not supported)
  std::string api_key;         // sent as X-API-KEY
  std::string organization_id = "00000000-0000-4000-8000-000000000000";
};

class AudioHookStreams {
 public:
  // `sim` must outlive this.
  AudioHookStreams(const core::Simulator& sim, AudioHookOptions options);
  ~AudioHookStreams();

  // Checks the URL and starts the thread; sessions open as legs are seen connected.
  Status Start();
  // Closes every socket (without the closing exchange) and joins the thread. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gcsim::http
