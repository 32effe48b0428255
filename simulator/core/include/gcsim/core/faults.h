// Fault episodes: the real world's failures, on the simulator's clock and drawn from its seed,
// so the same seed and the same requests get the same faults. An episode has a kind, a selector
// (which requests or drops it hits), a window and an optional probability. The http layer asks
// the book before serving a request (status, throttle, stale views) and before answering it
// (latency, reset, close); the core asks it before scheduling an accepted drop (lostDrop,
// stuckMedia).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcsim/common/status.h"
#include "gcsim/common/time.h"

namespace gcsim::core {

enum class FaultKind {
  kStatus,    // answer 500, 502, 503 or 504 instead of serving the request
  kThrottle,  // answer 429 too.many.requests.retry.after, whatever the client's budget
  kLostDrop,  // a drop answered 202 is never carried out
  kStuckMedia,  // a leg whose drops are answered 202 and never land (or land at attempt N)
  kRevokeTokens,  // at `from`, every token issued before is refused 401 until a new one is fetched
  kLatency,   // the answer waits `delay` on the simulator's clock
  kReset,     // the request is carried out, then the connection is reset: no response at all
  kClose,     // the request is carried out, the status line and headers are sent, then it closes
  kStaleAnalytics,  // analytics (details, observations) show the world as it was `lag` ago
  kStaleReads,      // GET of a conversation shows it as it was `lag` ago
};
const char* ToString(FaultKind kind);

// Which requests an episode hits; an empty field matches anything.
struct FaultSelector {
  std::string method;           // "PATCH"
  std::string route;            // a route template: "/api/v2/conversations/{conversationId}/participants/{participantId}"
  std::string client_id;        // the OAuth client
  std::string conversation_id;
  std::string participant_id;
};

struct FaultEpisode {
  std::string id;  // assigned by the book: "fault-1", "fault-2", ...
  FaultKind kind = FaultKind::kStatus;
  FaultSelector select;
  // The window, on the simulator's clock: from `from` (default: when added) until `until`
  // (default: forever), for at most `count` hits (default: no limit).
  TimePoint from;
  std::optional<TimePoint> until;
  std::optional<int> count;
  double probability = 1.0;  // of hitting a matching request, drawn from the seed
  int status = 503;          // kStatus: 500, 502, 503 or 504
  std::optional<Duration> retry_after;  // kStatus, kThrottle: the Retry-After header
  Duration delay{};  // kLatency
  Duration lag{};    // kStaleAnalytics, kStaleReads
  int hits = 0;
};

// Reads an episode: {"kind":"status","status":503,"retryAfter":"5s","method":"PATCH",
// "route":"...","clientId":"...","conversationId":"...","participantId":"...","from":"30s",
// "until":"2m","count":3,"probability":0.5}; a stuckMedia fault names its participantId and may
// give "attempts": N (its Nth drop lands; none does without it); a latency fault gives its
// "delay", a staleAnalytics or staleReads fault its "lag". `from` and `until` count from `now`
// (when the episode is added). Errors name the field, as a JSON pointer below `pointer`.
Result<FaultEpisode> ParseFault(const nlohmann::json& json, TimePoint now, const std::string& pointer = "");
nlohmann::json ToJson(const FaultEpisode& episode);
// "fault-2 status": how the journal names the episode that befell a request or a drop.
std::string Label(const FaultEpisode& episode);

// What a request or a drop looks like to the selectors.
struct FaultTarget {
  std::string method;
  std::string route;
  std::string client_id;
  std::string conversation_id;
  std::string participant_id;
};

// Thread-safe.
class FaultBook {
 public:
  explicit FaultBook(uint64_t seed) : rng_(seed ^ 0xfa'17'5eedULL) {}

  // The most episodes held at once: every request is matched against each of them.
  static constexpr size_t kMaxEpisodes = 1000;

  // Files an episode and returns it with its id.
  FaultEpisode Add(FaultEpisode episode);
  // Files episodes, all or none: none when they would take the book past kMaxEpisodes.
  Result<std::vector<FaultEpisode>> Add(std::vector<FaultEpisode> episodes);
  std::vector<FaultEpisode> List() const;
  void Clear();
  // Hits of every episode ever added, cleared ones included.
  uint64_t TotalHits() const;

  // The first episode of one of `kinds` that hits `target` at `now`, counted as a hit; empty
  // when none does. Episodes are tried in the order they were added.
  std::optional<FaultEpisode> Hit(const FaultTarget& target, const std::vector<FaultKind>& kinds,
                                  TimePoint now);
  // The revokeTokens episode that has revoked a token of `client_id` issued at `issued_at`, if
  // any, counted as a hit.
  std::optional<FaultEpisode> Revoked(const std::string& client_id, TimePoint issued_at, TimePoint now);

 private:
  mutable std::mutex mu_;
  std::vector<FaultEpisode> episodes_;
  int next_id_ = 1;
  uint64_t total_hits_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace gcsim::core
