// The org's OAuth side: clients, the tokens they were issued and each client's rate window.
// Kept apart from the world, under a lock of its own, so that token and budget checks never
// wait on a world being read, written or rebuilt.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gcsim/common/clock.h"
#include "gcsim/common/ids.h"
#include "gcsim/core/simulator.h"

namespace gcsim::core {

// Thread-safe. Tokens expire on `clock`, budgets are counted per minute of `clock`.
class Org {
 public:
  // `rate_limit_override` replaces every client's budget (gcsim serve --rate-limit).
  Org(Clock& clock, uint64_t seed, std::optional<int> rate_limit_override);

  // Forgets every token and window and knows only `clients` from now on; token ids go on from
  // where they were, so a reset never hands out an old token again.
  void Reset(const std::vector<OAuthClient>& clients, int default_rate_limit);

  // invalid_client (unauthenticated) for an unknown client or a wrong secret.
  Result<TokenGrant> IssueToken(const std::string& client_id, const std::string& client_secret);
  // bad.credentials when unknown or expired (an expired token is forgotten).
  Result<Caller> Authenticate(const std::string& access_token);
  // Counts one request against the client's budget in a fixed one-minute window.
  RateDecision ChargeRequest(const std::string& client_id);

 private:
  struct TokenRecord {
    std::string client_id;
    std::string user_id;
    TimePoint issued_at;
    TimePoint expires_at;
  };
  struct RateWindow {
    TimePoint start;
    int count = 0;
  };

  Clock& clock_;
  const std::optional<int> rate_limit_override_;
  std::mutex mu_;  // guards everything below
  IdGenerator token_ids_;
  std::unordered_map<std::string, OAuthClient> clients_;
  std::unordered_map<std::string, TokenRecord> tokens_;
  std::unordered_map<std::string, RateWindow> windows_;
  int default_rate_limit_ = 300;
};

}  // namespace gcsim::core
