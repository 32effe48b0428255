// Identifiers: UUID v4 strings from a seeded generator, so the same seed gives the same ids.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace gcsim {

// Not thread-safe: each owner (a world, a client) keeps its own.
class IdGenerator {
 public:
  explicit IdGenerator(uint64_t seed = 1) : engine_(seed) {}

  // "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case hex.
  std::string NextUuid();
  // `length` lower-case hex characters, for tokens and correlation ids.
  std::string NextHex(size_t length);

 private:
  std::mt19937_64 engine_;
};

// True for the canonical 8-4-4-4-12 hex form (any version, either case).
bool IsUuid(std::string_view text);

}  // namespace gcsim
