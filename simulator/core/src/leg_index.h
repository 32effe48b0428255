// The world's legs by id. Legs never move and are never removed, so an open-addressing table
// of pointers does: each slot holds a leg and its id's hash, and a lookup touches one slot (and
// the leg, on a hash match). std::unordered_map walked a bucket and two list nodes, three cache
// misses per lookup in a large world, and took 56 bytes a leg where this takes about 24.
#pragma once

#include <bit>
#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "gcsim/core/model.h"

namespace gcsim::core {

class LegIndex {
 public:
  // Room for `legs` in all without growing.
  void Reserve(size_t legs) {
    if (Capacity(legs) > slots_.size()) Rehash(Capacity(legs));
  }

  Participant* Find(std::string_view id) const {
    if (slots_.empty()) return nullptr;
    const size_t hash = std::hash<std::string_view>{}(id);
    for (size_t i = hash & Mask();; i = (i + 1) & Mask()) {
      const Slot& slot = slots_[i];
      if (slot.leg == nullptr) return nullptr;
      if (slot.hash == hash && slot.leg->id == id) return slot.leg;
    }
  }

  // Files `leg` under its id; false (and nothing filed) when a leg with that id is there.
  bool Insert(Participant* leg) {
    Reserve(size_ + 1);
    const size_t hash = std::hash<std::string_view>{}(leg->id);
    for (size_t i = hash & Mask();; i = (i + 1) & Mask()) {
      Slot& slot = slots_[i];
      if (slot.leg == nullptr) {
        slot = {hash, leg};
        ++size_;
        return true;
      }
      if (slot.hash == hash && slot.leg->id == leg->id) return false;
    }
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    size_t hash = 0;
    Participant* leg = nullptr;
  };

  // A power of two at most three quarters full: probes stay short.
  static size_t Capacity(size_t legs) { return std::bit_ceil(legs + legs / 3 + 1); }
  size_t Mask() const { return slots_.size() - 1; }

  void Rehash(size_t capacity) {
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
    for (const Slot& slot : old) {
      if (slot.leg == nullptr) continue;
      for (size_t i = slot.hash & Mask();; i = (i + 1) & Mask()) {
        if (slots_[i].leg == nullptr) {
          slots_[i] = slot;
          break;
        }
      }
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace gcsim::core
