#include "org.h"

#include "gcsim/core/api_errors.h"

namespace gcsim::core {

namespace {
constexpr Duration kRateWindow = std::chrono::minutes(1);
}  // namespace

Org::Org(Clock& clock, uint64_t seed, std::optional<int> rate_limit_override)
    : clock_(clock),
      rate_limit_override_(rate_limit_override),
      token_ids_(seed ^ 0x5eed'70c3'4a11'0000ULL) {}

void Org::Reset(const std::vector<OAuthClient>& clients, int default_rate_limit) {
  std::lock_guard lock(mu_);
  clients_.clear();
  tokens_.clear();
  windows_.clear();
  for (const OAuthClient& client : clients) clients_[client.id] = client;
  default_rate_limit_ = default_rate_limit;
}

Result<TokenGrant> Org::IssueToken(const std::string& client_id,
                                   const std::string& client_secret) {
  std::lock_guard lock(mu_);
  const auto it = clients_.find(client_id);
  if (it == clients_.end() || it->second.secret != client_secret) {
    return Status(StatusCode::kUnauthenticated, "client not found or bad client secret",
                  "invalid_client");
  }
  const std::string token = "gcsim-" + token_ids_.NextHex(40);
  const TimePoint now = clock_.Now();
  tokens_[token] = {client_id, it->second.user_id, now, now + it->second.token_lifetime};
  return TokenGrant{token, it->second.token_lifetime};
}

Result<Caller> Org::Authenticate(const std::string& access_token) {
  std::lock_guard lock(mu_);
  const auto it = tokens_.find(access_token);
  if (it == tokens_.end()) return ApiStatus(codes::kBadCredentials);
  if (clock_.Now() >= it->second.expires_at) {
    tokens_.erase(it);
    return ApiStatus(codes::kBadCredentials, "The access token has expired.");
  }
  return Caller{it->second.client_id, it->second.user_id, it->second.issued_at};
}

RateDecision Org::ChargeRequest(const std::string& client_id) {
  std::lock_guard lock(mu_);
  int budget = default_rate_limit_;
  if (const auto it = clients_.find(client_id); it != clients_.end()) {
    budget = it->second.rate_limit.value_or(budget);
  }
  if (rate_limit_override_) budget = *rate_limit_override_;
  const TimePoint now = clock_.Now();
  RateWindow& window = windows_[client_id];
  if (window.count == 0 || now >= window.start + kRateWindow) window = {now, 0};
  ++window.count;
  const auto left = window.start + kRateWindow - now;
  RateDecision decision;
  decision.count = window.count;
  decision.allowed = budget;
  decision.reset_seconds = static_cast<int>((left.count() + 999) / 1000);
  decision.limited = budget != 0 && window.count > budget;
  return decision;
}

}  // namespace gcsim::core
