#include "gcsim/core/traffic.h"

#include "gcsim/common/strings.h"
#include "gcsim/core/journal.h"

namespace gcsim::core {

void LatenessHistogram::Add(Duration lateness) {
  size_t bucket = 0;
  const double seconds = static_cast<double>(lateness.count()) / 1000.0;
  while (bucket < kBoundsSeconds.size() && seconds > kBoundsSeconds[bucket]) ++bucket;
  ++buckets[bucket];
  ++count;
  sum += lateness;
  max = std::max(max, lateness);
}

std::string DescribeNoOpPatches(const ClientTraffic& traffic) {
  if (traffic.no_op_patches == 0) return "";
  std::string statuses;
  for (const auto& [status, count] : traffic.no_op_patch_statuses) {
    if (!statuses.empty()) statuses += ", ";
    statuses += traffic.no_op_patch_statuses.size() == 1
                    ? std::to_string(status)
                    : std::to_string(status) + " (" + std::to_string(count) + ")";
  }
  std::string text = std::to_string(traffic.no_op_patches) +
                     (traffic.no_op_patches == 1 ? " PATCH" : " PATCHes") + " answered " +
                     statuses + " and changed nothing";
  if (!traffic.ignored_fields.empty()) {
    text += "; fields ignored: " + Join(traffic.ignored_fields, ", ");
  } else {
    text += " (every field already had the value sent)";
  }
  return text;
}

void TrafficMetrics::set_idle_timeout(Duration idle_timeout) {
  std::lock_guard lock(mu_);
  idle_timeout_ = idle_timeout;
}

Duration TrafficMetrics::idle_timeout() const {
  std::lock_guard lock(mu_);
  return idle_timeout_;
}

void TrafficMetrics::Observe(const JournalEntry& entry) {
  if (entry.kind != "request") return;
  std::lock_guard lock(mu_);
  auto it = clients_.find(entry.client_id);
  if (it == clients_.end()) {
    const bool room = clients_.size() < kMaxClients;
    it = clients_.try_emplace(room ? entry.client_id : std::string(kOtherClients)).first;
  }
  ClientTraffic& client = it->second;
  ++client.requests;
  if (entry.status == 429) ++client.too_many_requests;
  if (entry.status == 429 || entry.status >= 500 || entry.answer_lost) ++client.failed_requests;
  ++client.by_route[{.route = entry.route.empty() ? "unmatched" : entry.route,
                     .method = entry.method,
                     .status = entry.status}];
  const bool success = entry.status >= 200 && entry.status < 300;
  if (entry.drop_silent_since) {
    const Duration silent_for = entry.at - *entry.drop_silent_since;
    if (IsEarlyDrop(entry, idle_timeout_)) {
      ++client.early_drops;
    } else if (success && silent_for >= idle_timeout_) {
      client.lateness.Add(silent_for - idle_timeout_);
    }
    if (success) ++client.drops;
  }
  if (success && entry.changed_nothing && entry.method == "PATCH") {
    ++client.no_op_patches;
    ++client.no_op_patch_statuses[entry.status];
    for (const std::string& field : entry.ignored_fields) {
      if (client.ignored_fields.size() >= kMaxIgnoredFields) break;
      client.ignored_fields.insert(field);
    }
  }
}

std::map<std::string, ClientTraffic> TrafficMetrics::Clients() const {
  std::lock_guard lock(mu_);
  return clients_;
}

ClientTraffic TrafficMetrics::Client(const std::string& client_id) const {
  std::lock_guard lock(mu_);
  const auto it = clients_.find(client_id);
  return it == clients_.end() ? ClientTraffic{} : it->second;
}

}  // namespace gcsim::core
