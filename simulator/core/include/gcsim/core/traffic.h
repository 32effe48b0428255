// What each OAuth client did, counted from the journal as entries are appended: requests by
// route and status, 429s, drops, early drops, how late drops came, and PATCHes that answered 2xx
// and changed nothing. GET /sim/v1/metrics shows it; the scenario runner judges an external
// client by it. Unlike the journal's entries, the counts are never limited or cleared.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "gcsim/common/time.h"

namespace gcsim::core {

struct JournalEntry;

// Lateness of drops that came after the idle timeout: how long past it the leg had been silent.
struct LatenessHistogram {
  // Upper bounds of the buckets, in seconds; one more bucket holds everything beyond.
  static constexpr std::array<double, 11> kBoundsSeconds = {0.25, 0.5, 1,  2.5, 5,  10,
                                                            15,   30,  60, 120, 300};
  std::array<uint64_t, kBoundsSeconds.size() + 1> buckets{};  // not cumulative
  uint64_t count = 0;
  Duration sum{};
  Duration max{};
  void Add(Duration lateness);
};

struct RouteStatus {
  std::string route;  // the route template; "unmatched" for paths no route serves
  std::string method;
  int status = 0;
  auto operator<=>(const RouteStatus&) const = default;
};

struct ClientTraffic {
  uint64_t requests = 0;           // requests made with the client's token or credentials
  uint64_t too_many_requests = 0;  // answered 429
  uint64_t failed_requests = 0;    // answered 429 or 5xx, or whose answer was lost (a fault)
  std::map<RouteStatus, uint64_t> by_route;
  uint64_t drops = 0;        // drop requests accepted (a participant's or a whole conversation's)
  uint64_t early_drops = 0;  // drop requests that reached a leg heard within the idle timeout
  LatenessHistogram lateness;  // the other accepted drops
  uint64_t no_op_patches = 0;  // PATCHes answered 2xx that changed nothing
  std::map<int, uint64_t> no_op_patch_statuses;  // the same, by status
  std::set<std::string> ignored_fields;          // fields those PATCHes sent that the API ignores
};

// "12 PATCHes answered 204 and changed nothing; fields ignored: dispositionCode, dropReason";
// empty when there were none.
std::string DescribeNoOpPatches(const ClientTraffic& traffic);

// Thread-safe.
class TrafficMetrics {
 public:
  // Clients counted apart; requests naming further client ids (anyone may post credentials to
  // /oauth/token) are counted together under kOtherClients.
  static constexpr size_t kMaxClients = 100;
  static constexpr char kOtherClients[] = "(other)";
  // Ignored field names kept per client.
  static constexpr size_t kMaxIgnoredFields = 50;

  // A drop reaching a leg heard less than `idle_timeout` before is early; later ones are late
  // by how much longer the leg had been silent.
  void set_idle_timeout(Duration idle_timeout);
  Duration idle_timeout() const;

  // Requests only; other entries (delayed effects, timeline events) are not traffic.
  void Observe(const JournalEntry& entry);

  // By client id; requests without one (the control plane, a token request without
  // credentials) under "".
  std::map<std::string, ClientTraffic> Clients() const;
  ClientTraffic Client(const std::string& client_id) const;

 private:
  mutable std::mutex mu_;
  Duration idle_timeout_ = std::chrono::minutes(10);
  std::map<std::string, ClientTraffic> clients_;
};

}  // namespace gcsim::core
