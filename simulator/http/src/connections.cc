#include "connections.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace gcsim::http {
namespace {

// The connection the current worker thread is serving (workers serve one at a time).
thread_local void* current_connection = nullptr;

// How long a refused connection may take to read its 503 before the socket is closed (closing
// with its request unread would reset the connection and lose the answer).
constexpr int kRefusalDrainMs = 200;

void SendAll(int sock, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(sock, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

void Refuse(int sock, const std::string& body) {
  SendAll(sock,
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body);
  ::shutdown(sock, SHUT_WR);
  char sink[4096];
  pollfd peer{.fd = sock, .events = POLLIN, .revents = 0};
  while (::poll(&peer, 1, kRefusalDrainMs) > 0 && ::recv(sock, sink, sizeof(sink), 0) > 0) {
  }
  ::close(sock);
}

}  // namespace

WorkerPool::WorkerPool(size_t warm_workers, size_t max_workers)
    : max_workers_(std::max<size_t>(max_workers, 1)) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < std::min(warm_workers, max_workers_); ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::enqueue(std::function<void()> job) {
  std::lock_guard lock(mu_);
  jobs_.push_back(std::move(job));
  if (idle_ < jobs_.size() && workers_.size() < max_workers_) {
    workers_.emplace_back([this] { Work(); });
  }
  wake_.notify_one();
}

void WorkerPool::shutdown() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    workers.swap(workers_);
  }
  wake_.notify_all();
  for (std::thread& worker : workers) worker.join();
}

void WorkerPool::Work() {
  std::unique_lock lock(mu_);
  while (true) {
    ++idle_;
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) return;  // stopping, nothing left to run
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

Connections::Connections(Limits limits) : limits_(limits), watch_([this] { Watch(); }) {}

Connections::~Connections() {
  CloseAll();
  watch_.join();
}

bool Connections::Serve(int sock, const std::function<bool()>& serve,
                        const std::function<std::string()>& refusal_body) {
  std::list<Connection>::iterator self;
  bool admitted = false;
  {
    std::lock_guard lock(mu_);
    if (closing_) {  // accepted just before the server stopped
      ::close(sock);
      return false;
    }
    admitted = open_.size() < limits_.max_connections;
    if (admitted) {
      ++accepted_;
      self = open_.insert(open_.end(),
                          Connection{.sock = sock,
                                     .deadline = SteadyClock::now() + limits_.keep_alive_timeout +
                                                 limits_.request_timeout});
      changed_.notify_all();
    } else {
      ++refused_;
    }
  }
  if (!admitted) {
    Refuse(sock, refusal_body());  // outside the lock: draining takes up to kRefusalDrainMs
    return false;
  }
  current_connection = &*self;
  // The library runs once something has arrived; an idle peer is closed here, unserved.
  const bool served = AwaitRequest(sock) ? serve() : (::close(sock), false);
  current_connection = nullptr;
  std::lock_guard lock(mu_);
  open_.erase(self);
  return served;
}

void Connections::RequestRead() {
  auto* connection = static_cast<Connection*>(current_connection);
  if (connection == nullptr) return;
  std::lock_guard lock(mu_);
  connection->reading = false;
}

void Connections::ResponseSent(bool connection_closing) {
  auto* connection = static_cast<Connection*>(current_connection);
  if (connection == nullptr) return;
  {
    std::lock_guard lock(mu_);
    connection->reading = true;
    connection->deadline =
        SteadyClock::now() + limits_.keep_alive_timeout + limits_.request_timeout;
    if (connection->deadline < watch_until_) changed_.notify_all();
  }
  // Idle past the keep-alive timeout: the library's own wait then sees the end of input at once
  // and closes the connection.
  if (!connection_closing && !AwaitRequest(connection->sock)) ::shutdown(connection->sock, SHUT_RD);
}

void Connections::ResetCurrent() {
  auto* connection = static_cast<Connection*>(current_connection);
  if (connection == nullptr) return;
  // Closing with a zero linger sends a reset; until the library closes the socket, nothing
  // more can be read or written on it.
  const linger abort{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(connection->sock, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::shutdown(connection->sock, SHUT_RDWR);
}

bool Connections::AwaitRequest(int sock) const {
  pollfd peer{.fd = sock, .events = POLLIN, .revents = 0};
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(limits_.keep_alive_timeout);
  int ready;
  do {
    ready = ::poll(&peer, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  return ready != 0;
}

bool Connections::TimedOut() const {
  const auto* connection = static_cast<const Connection*>(current_connection);
  if (connection == nullptr) return false;
  std::lock_guard lock(mu_);
  return connection->timed_out;
}

void Connections::CloseAll() {
  std::lock_guard lock(mu_);
  closing_ = true;
  for (const Connection& connection : open_) ::shutdown(connection.sock, SHUT_RD);
  changed_.notify_all();
}

size_t Connections::accepted_for_test() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

bool Connections::AwaitAccepted(size_t count, std::chrono::milliseconds limit) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, limit, [&] { return accepted_ >= count; });
}

size_t Connections::refused_for_test() const {
  std::lock_guard lock(mu_);
  return refused_;
}

size_t Connections::timed_out_for_test() const {
  std::lock_guard lock(mu_);
  return timed_out_;
}

Connections::SteadyClock::time_point Connections::NextDeadline() const {
  auto next = SteadyClock::time_point::max();
  for (const Connection& connection : open_) {
    if (connection.reading && !connection.timed_out) next = std::min(next, connection.deadline);
  }
  return next;
}

void Connections::Watch() {
  std::unique_lock lock(mu_);
  while (!closing_) {
    const auto next = NextDeadline();
    watch_until_ = next;
    if (next == SteadyClock::time_point::max()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, next);
    }
    const auto now = SteadyClock::now();
    for (Connection& connection : open_) {
      if (connection.reading && !connection.timed_out && connection.deadline <= now) {
        // The blocked read returns; cpp-httplib answers what it has and closes.
        connection.timed_out = true;
        ++timed_out_;
        ::shutdown(connection.sock, SHUT_RD);
      }
    }
  }
}

}  // namespace gcsim::http
