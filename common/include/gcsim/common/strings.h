// Small string helpers shared by every layer.
#pragma once

#include <charconv>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gcsim {

// The parts with `separator` between them: Join(names, ", ") -> "a, b, c". Parts are anything
// a std::string can be appended with (std::string, std::string_view, const char*).
template <typename Range>
std::string Join(const Range& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

inline std::string Join(std::initializer_list<std::string_view> parts,
                        std::string_view separator) {
  return Join<std::initializer_list<std::string_view>>(parts, separator);
}

// A whole string as a decimal integer, strictly: query parameters, body fields, header values.
// nullopt for an empty string, a partial number ("12abc", " 12", "+12") or one out of range.
inline std::optional<long long> ParseInteger(std::string_view text) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Cuts `text` to at most `limit` bytes, saying so ("... (N more bytes)"), never inside a UTF-8
// sequence: what a client sent, echoed back or kept, stays small.
inline void Truncate(std::string& text, size_t limit) {
  if (text.size() <= limit) return;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  const size_t cut = text.size() - end;
  text.resize(end);
  text += "... (" + std::to_string(cut) + " more bytes)";
}

// The first `kept` of `items`, then "... (N more)" for the rest, each cut to `item_bytes`
// (Truncate): a client's list of field names stays small.
inline void TruncateList(std::vector<std::string>& items, size_t kept, size_t item_bytes) {
  if (items.size() > kept) {
    const size_t more = items.size() - kept;
    items.resize(kept);
    items.push_back("... (" + std::to_string(more) + " more)");
  }
  for (std::string& item : items) Truncate(item, item_bytes);
}

// A C0 control character or DEL: what would end, split or garble a line of text or a header.
inline bool IsControlChar(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace gcsim
