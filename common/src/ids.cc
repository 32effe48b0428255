#include "gcsim/common/ids.h"

#include <cctype>

namespace gcsim {
namespace {
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

std::string IdGenerator::NextUuid() {
  const uint64_t hi = engine_();
  const uint64_t lo = engine_();
  uint8_t bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(hi >> (8 * i));
    bytes[8 + i] = static_cast<uint8_t>(lo >> (8 * i));
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char text[36];  // written in place: a world of a million legs asks for a million of these
  char* at = text;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *at++ = '-';
    *at++ = kHex[bytes[i] >> 4];
    *at++ = kHex[bytes[i] & 0x0f];
  }
  return std::string(text, sizeof text);
}

std::string IdGenerator::NextHex(size_t length) {
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    uint64_t bits = engine_();
    for (int i = 0; i < 16 && out.size() < length; ++i, bits >>= 4) out.push_back(kHex[bits & 0xf]);
  }
  return out;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

}  // namespace gcsim
