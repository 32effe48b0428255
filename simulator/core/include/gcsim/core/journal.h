// The request journal: every API request and every delayed effect, with what it did and why.
// This is where "the PATCH answered 204 but nothing happened" gets explained.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcsim/common/time.h"
#include "gcsim/core/traffic.h"

namespace gcsim::core {

// What the dropping client could have known: when its newest read that it had an answer to was
// carried out, and when the dropped legs' silence had begun as of then.
struct DropEvidence {
  TimePoint read_at;
  TimePoint silent_since;
};

struct JournalEntry {
  uint64_t sequence = 0;  // assigned by the journal, from 1
  TimePoint at;
  std::string kind = "request";  // "request", or "effect" for a delayed change (a drop landing)
  std::string method;
  std::string path;
  std::string route;  // the route template the path matched, e.g. "/api/v2/conversations/{conversationId}"
  std::string client_id;
  std::string correlation_id;
  int status = 0;
  std::string conversation_id;
  std::string participant_id;
  std::vector<std::string> ignored_fields;
  std::string effect;  // what changed, or "nothing changed"
  std::string hint;    // what the caller probably meant, when it can be told
  // A request that asked to drop live legs: the silent_since of the most recently heard one,
  // so that a drop of a leg heard within the idle timeout can be told after the fact.
  std::optional<TimePoint> drop_silent_since;
  // With drop_silent_since: the client's newest read, if its answer came within the server's
  // think_time before the drop.
  std::optional<DropEvidence> drop_evidence;
  // A request the API answered with success that changed nothing (the seed's PATCH): what the
  // live view marks as a phantom leg.
  bool changed_nothing = false;
  // A request a fault episode befell: "fault-2 status", "fault-3 reset".
  std::string fault;
  // The request was carried out but its client never got the whole answer (reset, close).
  bool answer_lost = false;
};

nlohmann::json ToJson(const JournalEntry& entry);

// A drop request that reached a leg heard within `idle_timeout`; not one whose legs were heard
// only after the client's newest read was carried out, silent the whole timeout as of then. No
// client sees into an answer's way back: speech in it could be shown by no read in time.
bool IsEarlyDrop(const JournalEntry& entry, Duration idle_timeout);

// Thread-safe. Keeps the newest `limit` entries and counts the ones dropped.
class Journal {
 public:
  explicit Journal(size_t limit = 100'000) : limit_(limit == 0 ? 1 : limit) {}

  // Sees every entry as it is appended (sequence set), on the appending thread and under the
  // journal's lock: keep it short and never call back into the journal. For a reader that must
  // not miss an entry the limit would drop, such as the scenario runner's safety check.
  using Tap = std::function<void(const JournalEntry&)>;
  void SetTap(Tap tap);

  uint64_t Append(JournalEntry entry);
  std::vector<JournalEntry> Entries() const;
  // The entries after sequence number `after`, oldest first, without scanning older ones.
  std::vector<JournalEntry> Since(uint64_t after) const;
  // The newest `count` entries, oldest first.
  std::vector<JournalEntry> Tail(size_t count) const;
  uint64_t dropped() const;
  // Clears the entries; the traffic counts go on.
  void Clear();

  // Every request appended, counted by client; never limited, never cleared.
  TrafficMetrics& traffic() { return traffic_; }
  const TrafficMetrics& traffic() const { return traffic_; }

 private:
  const size_t limit_;
  mutable std::mutex mu_;
  std::deque<JournalEntry> entries_;
  uint64_t next_sequence_ = 1;
  uint64_t dropped_ = 0;
  Tap tap_;
  TrafficMetrics traffic_;
};

}  // namespace gcsim::core
