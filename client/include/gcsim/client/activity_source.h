// Where the reaper learns which legs have gone quiet. The Platform API has no "speaking"
// signal, so this is pluggable: gcsim's media view, or the mute/hold signals the real API shows.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gcsim/client/api_client.h"
#include "gcsim/common/status.h"
#include "gcsim/common/time.h"

namespace gcsim::client {

// A leg the source believes has been silent since `silent_since`.
struct Candidate {
  std::string conversation_id;
  std::string participant_id;
  std::string purpose;
  TimePoint silent_since;
};

// Not thread-safe: owned and called by one reaper.
class ActivitySource {
 public:
  virtual ~ActivitySource() = default;

  // Legs silent for at least `idle_timeout` at `now` (silent_since <= now - idle_timeout).
  virtual Result<std::vector<Candidate>> Candidates(TimePoint now, Duration idle_timeout) = 0;

  // Reads one leg now, with a single request, so that the answer reflects the world after any
  // wait the client made before sending it: the time since when the leg has been silent, or
  // nullopt when the source cannot show it silent now (heard, gone, or unknown to the source).
  // The reaper asks this right before a drop whenever time has passed since Candidates().
  virtual Result<std::optional<TimePoint>> SilentSince(const std::string& conversation_id,
                                                       const std::string& participant_id,
                                                       TimePoint now) = 0;

  // Whether the leg's media was still flowing at the last Candidates() call; nullopt when the
  // source cannot tell (then the reaper trusts the leg's state alone).
  virtual std::optional<bool> StillFlowing(const std::string& /*conversation_id*/,
                                           const std::string& /*participant_id*/) const {
    return std::nullopt;
  }

  // "sim" or "signals", for logs.
  virtual const char* name() const = 0;
};

// gcsim's bulk media view (GET /sim/v1/media): every leg whose media flows and that has been
// silent at least the idle timeout, in a page or a few. Holds a reference to the client.
class SimActivitySource final : public ActivitySource {
 public:
  explicit SimActivitySource(ApiClient& client) : client_(client) {}

  Result<std::vector<Candidate>> Candidates(TimePoint now, Duration idle_timeout) override;
  // gcsim's per-leg media view (GET /sim/v1/conversations/{cid}/participants/{pid}/media).
  Result<std::optional<TimePoint>> SilentSince(const std::string& conversation_id,
                                               const std::string& participant_id,
                                               TimePoint now) override;
  // A leg still listed in the view is still flowing. Dropped legs were listed (they were
  // idle) and stay silent, so they stay listed until their media stops.
  std::optional<bool> StillFlowing(const std::string& conversation_id,
                                   const std::string& participant_id) const override;
  const char* name() const override { return "sim"; }

 private:
  ApiClient& client_;
  bool listed_valid_ = false;  // false after a failed fetch: cannot tell
  std::set<std::pair<std::string, std::string>> listed_;
};

struct SignalsActivitySourceOptions {
  // How far back the analytics interval reaches: the details query selects conversations by
  // the day they started, so a bridge up since before then is not seen. A week, well inside
  // the 31 days the API allows a filtered query.
  Duration lookback = std::chrono::days(7);
};

// What the real API can show: a voice leg whose open analytics segments are all `hold` or
// audioMuted, since at least the idle timeout (muted or held for the whole timeout). Analytics
// trail the world, so each such leg is confirmed on its conversation (GET of the call: still
// connected, still muted or held) before it is a candidate or its silence is trusted again.
// Holds a reference to the client.
class SignalsActivitySource final : public ActivitySource {
 public:
  explicit SignalsActivitySource(ApiClient& client, SignalsActivitySourceOptions options = {})
      : client_(client), options_(options) {}

  Result<std::vector<Candidate>> Candidates(TimePoint now, Duration idle_timeout) override;
  // The analytics details query narrowed to the leg's conversation (a conversationId
  // predicate, which a real org supports): its open segments, as Candidates() reads them.
  Result<std::optional<TimePoint>> SilentSince(const std::string& conversation_id,
                                               const std::string& participant_id,
                                               TimePoint now) override;
  const char* name() const override { return "signals"; }

 private:
  ApiClient& client_;
  const SignalsActivitySourceOptions options_;
};

}  // namespace gcsim::client
