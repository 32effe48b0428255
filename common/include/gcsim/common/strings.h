// Small string helpers shared by every layer.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

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

}  // namespace gcsim
