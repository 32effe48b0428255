// The request journal: every API request and every delayed effect, with what it did and why.
// This is where "the PATCH answered 204 but nothing happened" gets explained.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcsim/common/time.h"

namespace gcsim::core {

struct JournalEntry {
  uint64_t sequence = 0;  // assigned by the journal, from 1
  TimePoint at;
  std::string kind = "request";  // "request", or "effect" for a delayed change (a drop landing)
  std::string method;
  std::string path;
  std::string client_id;
  std::string correlation_id;
  int status = 0;
  std::string conversation_id;
  std::string participant_id;
  std::vector<std::string> ignored_fields;
  std::string effect;  // what changed, or "nothing changed"
  std::string hint;    // what the caller probably meant, when it can be told
};

nlohmann::json ToJson(const JournalEntry& entry);

// Thread-safe. Keeps the newest `limit` entries and counts the ones dropped.
class Journal {
 public:
  explicit Journal(size_t limit = 100'000) : limit_(limit == 0 ? 1 : limit) {}

  uint64_t Append(JournalEntry entry);
  std::vector<JournalEntry> Entries() const;
  uint64_t dropped() const;
  void Clear();

 private:
  const size_t limit_;
  mutable std::mutex mu_;
  std::deque<JournalEntry> entries_;
  uint64_t next_sequence_ = 1;
  uint64_t dropped_ = 0;
};

}  // namespace gcsim::core
