#include "gcsim/core/journal.h"

namespace gcsim::core {

nlohmann::json ToJson(const JournalEntry& entry) {
  nlohmann::json out = {{"sequence", entry.sequence}, {"at", FormatIso8601(entry.at)},
                        {"kind", entry.kind}};
  const auto put = [&out](const char* key, const std::string& value) {
    if (!value.empty()) out[key] = value;
  };
  put("method", entry.method);
  put("path", entry.path);
  put("route", entry.route);
  put("clientId", entry.client_id);
  put("correlationId", entry.correlation_id);
  if (entry.status != 0) out["status"] = entry.status;
  put("conversationId", entry.conversation_id);
  put("participantId", entry.participant_id);
  if (!entry.ignored_fields.empty()) out["ignoredFields"] = entry.ignored_fields;
  put("effect", entry.effect);
  put("hint", entry.hint);
  if (entry.changed_nothing) out["changedNothing"] = true;
  if (!entry.fault.empty()) out["fault"] = entry.fault;
  if (entry.answer_lost) out["answerLost"] = true;
  if (entry.drop_silent_since) {
    out["dropSilentSince"] = FormatIso8601(*entry.drop_silent_since);
    out["dropSilentFor"] = FormatDuration(entry.at - *entry.drop_silent_since);
  }
  if (entry.drop_evidence) {
    out["dropEvidence"] = {{"readAt", FormatIso8601(entry.drop_evidence->read_at)},
                           {"silentSince", FormatIso8601(entry.drop_evidence->silent_since)}};
  }
  return out;
}

bool IsEarlyDrop(const JournalEntry& entry, Duration idle_timeout) {
  if (!entry.drop_silent_since || entry.at - *entry.drop_silent_since >= idle_timeout) return false;
  return !entry.drop_evidence ||
         entry.drop_evidence->read_at - entry.drop_evidence->silent_since < idle_timeout;
}

void Journal::SetTap(Tap tap) {
  std::lock_guard lock(mu_);
  tap_ = std::move(tap);
}

uint64_t Journal::Append(JournalEntry entry) {
  std::lock_guard lock(mu_);
  entry.sequence = next_sequence_++;
  if (tap_) tap_(entry);
  traffic_.Observe(entry);
  entries_.push_back(std::move(entry));
  while (entries_.size() > limit_) {
    entries_.pop_front();
    ++dropped_;
  }
  return entries_.back().sequence;
}

std::vector<JournalEntry> Journal::Entries() const {
  std::lock_guard lock(mu_);
  return {entries_.begin(), entries_.end()};
}

std::vector<JournalEntry> Journal::Since(uint64_t after) const {
  std::lock_guard lock(mu_);
  // Sequence numbers in entries_ are consecutive, so the first one wanted is found by offset.
  if (entries_.empty() || after >= entries_.back().sequence) return {};
  const uint64_t first = entries_.front().sequence;
  const size_t skip = after < first ? 0 : static_cast<size_t>(after - first + 1);
  return {entries_.begin() + static_cast<std::ptrdiff_t>(skip), entries_.end()};
}

std::vector<JournalEntry> Journal::Tail(size_t count) const {
  std::lock_guard lock(mu_);
  const size_t skip = entries_.size() > count ? entries_.size() - count : 0;
  return {entries_.begin() + static_cast<std::ptrdiff_t>(skip), entries_.end()};
}

uint64_t Journal::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void Journal::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
  dropped_ = 0;
}

}  // namespace gcsim::core
