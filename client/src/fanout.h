// Runs a batch of tasks on several threads at once, the caller's among them, and returns when
// every one is done. Its threads wait between batches, so a batch costs no thread start.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

namespace gcsim::client {

class Fanout {
 public:
  explicit Fanout(size_t helpers) {
    for (size_t i = 0; i < helpers; ++i) {
      threads_.emplace_back([this](std::stop_token stop) { Help(stop); });
    }
  }
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  // One batch at a time: the caller's thread only.
  void Run(const std::vector<std::function<void()>>& tasks) {
    std::unique_lock lock(mu_);
    tasks_ = &tasks;
    next_ = 0;
    unfinished_ = tasks.size();
    wake_.notify_all();
    while (next_ < tasks.size()) RunOne(lock);
    done_.wait(lock, [this] { return unfinished_ == 0; });
    tasks_ = nullptr;
  }

 private:
  void Help(std::stop_token stop) {
    std::unique_lock lock(mu_);
    while (wake_.wait(lock, stop, [this] { return tasks_ != nullptr && next_ < tasks_->size(); })) {
      RunOne(lock);
    }
  }
  void RunOne(std::unique_lock<std::mutex>& lock) {
    const std::function<void()>& task = (*tasks_)[next_++];
    lock.unlock();
    task();
    lock.lock();
    if (--unfinished_ == 0) done_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable_any wake_;
  std::condition_variable done_;
  const std::vector<std::function<void()>>* tasks_ = nullptr;  // the batch under way
  size_t next_ = 0;                                             // its first task not taken
  size_t unfinished_ = 0;
  std::vector<std::jthread> threads_;  // last: they start once the members above are ready
};

}  // namespace gcsim::client
