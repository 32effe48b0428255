// The answer to the last question asked of one state of the world, kept while the world stays
// the same, so that the same question asked again (the next page of a query; a second client in
// the same tick) costs a lock and a compare instead of a walk of the world.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "gcsim/common/time.h"

namespace gcsim::core {

// An answer is reused while the world's generation (bumped on every write) and instant are the
// ones it was computed for, so it never differs from the one a fresh computation would give.
// Thread-safe: the answer is computed outside the lock, and a shared answer stays alive while
// a reader holds it. Key the cache by one simulator: views of two may share a generation.
template <typename Question, typename Answer>
class LastAnswer {
 public:
  // The kept answer to `question`, or `compute()`'s, which is then kept in its place.
  template <typename Compute>
  std::shared_ptr<const Answer> Get(uint64_t generation, TimePoint now, const Question& question,
                                    Compute&& compute) {
    {
      std::lock_guard lock(mu_);
      if (last_ && last_->generation == generation && last_->now == now &&
          last_->question == question) {
        return last_->answer;
      }
    }
    auto answer = std::make_shared<const Answer>(std::forward<Compute>(compute)());
    std::lock_guard lock(mu_);
    last_ = Entry{generation, now, question, answer};
    return answer;
  }

 private:
  struct Entry {
    uint64_t generation = 0;
    TimePoint now;
    Question question;
    std::shared_ptr<const Answer> answer;
  };
  std::mutex mu_;
  std::optional<Entry> last_;
};

}  // namespace gcsim::core
