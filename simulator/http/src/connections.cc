#include "connections.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>
#include <tuple>
#include <utility>

#include "gcsim/common/clock.h"

namespace gcsim::http {
namespace {

// The connection the current worker thread is serving (workers serve one at a time).
thread_local void* current_connection = nullptr;

// How long a read or a write may go without progress, as long as cpp-httplib's own stream waits.
constexpr timeval kReadTimeout{.tv_sec = CPPHTTPLIB_READ_TIMEOUT_SECOND, .tv_usec = 0};
constexpr timeval kWriteTimeout{.tv_sec = CPPHTTPLIB_WRITE_TIMEOUT_SECOND, .tv_usec = 0};
// How long a closed connection's peer is given to read our last answer (see CloseGently).
constexpr auto kCloseDrain = std::chrono::milliseconds(200);
// How long the server's stop waits for answers still being written.
constexpr auto kStopGrace = std::chrono::milliseconds(300);

// Waits at most `timeout_ms` for `events` on `sock`; true when they (or an error) came.
bool AwaitSocket(int sock, short events, int timeout_ms) {
  pollfd peer{.fd = sock, .events = events, .revents = 0};
  int ready;
  do {
    ready = ::poll(&peer, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

int Milliseconds(timeval time) {
  return static_cast<int>(time.tv_sec * 1000 + time.tv_usec / 1000);
}

// A connection's bytes as cpp-httplib reads them, one request at a time. What a read brings
// beyond the request being parsed (the next, pipelined request) stays here for the next one:
// cpp-httplib's own stream lives for one request and drops it. A read or write is one system
// call that waits until some bytes move or the timeout passes without any (the library polls
// before each, and its blocking writes wait for ever on a peer that reads slowly enough).
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, bool& head_too_large) : sock_(sock), head_too_large_(head_too_large) {
    ::setsockopt(sock_, SOL_SOCKET, SO_RCVTIMEO, &kReadTimeout, sizeof kReadTimeout);
    ::setsockopt(sock_, SOL_SOCKET, SO_SNDTIMEO, &kWriteTimeout, sizeof kWriteTimeout);
  }

  // Whether bytes already read wait to be parsed.
  bool Buffered() const { return begin_ < end_; }

  // A request begins: its head (request line and headers) is counted afresh.
  void StartRequest() {
    head_bytes_ = 0;
    in_request_line_ = true;
    head_too_large_ = false;
  }

  bool is_readable() const override {
    return Buffered() || AwaitSocket(sock_, POLLIN, Milliseconds(kReadTimeout));
  }
  // A write waits for progress itself (a poll for POLLOUT would wait for much of a large send
  // buffer to drain, long for a slow reader).
  bool is_writable() const override { return !write_failed_; }

  ssize_t read(char* ptr, size_t size) override {
    // cpp-httplib reads lines (the request line, headers, chunk sizes) a byte at a time, into a
    // buffer without bound: a line of a gigabyte would be kept whole. Bytes read one at a time
    // since the last larger read (a body's) are the head, held to kMaxRequestHeadBytes.
    if (size != 1) {
      head_bytes_ = 0;
    } else if (head_bytes_ >= kMaxRequestHeadBytes) {
      head_too_large_ = true;
      // Failing the request line's read would make the library close without an answer;
      // ending the line here makes it answer (and the headers' read then fails).
      if (!in_request_line_) return -1;
      in_request_line_ = false;
      *ptr = '\n';
      return 1;
    }
    if (!Buffered()) {
      // A large read goes straight to the caller; a small one fills the buffer.
      if (size >= buffer_.size()) return Receive(ptr, size);
      const ssize_t got = Receive(buffer_.data(), buffer_.size());
      if (got <= 0) return got;
      begin_ = 0;
      end_ = static_cast<size_t>(got);
    }
    const size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, buffer_.data() + begin_, n);
    begin_ += n;
    if (size == 1) {
      ++head_bytes_;
      if (*ptr == '\n') in_request_line_ = false;
    }
    return static_cast<ssize_t>(n);
  }

  // What the socket takes before the write timeout passes without progress; the caller writes
  // the rest. Once a write has failed, the peer is taken as gone: the library would otherwise
  // wait out the timeout again for the body after the headers.
  ssize_t write(const char* ptr, size_t size) override {
    if (write_failed_) return -1;
    ssize_t sent;
    do {
      sent = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    write_failed_ = sent < 0;
    return sent;
  }

  // The library asks for both addresses on every request; they are the connection's.
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (!remote_) remote_ = Address(::getpeername);
    std::tie(ip, port) = *remote_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (!local_) local_ = Address(::getsockname);
    std::tie(ip, port) = *local_;
  }
  socket_t socket() const override { return sock_; }

 private:
  using Endpoint = std::pair<std::string, int>;

  ssize_t Receive(char* into, size_t size) const {
    ssize_t got;
    do {
      got = ::recv(sock_, into, size, 0);
    } while (got < 0 && errno == EINTR);
    return got;
  }

  Endpoint Address(int (*name)(int, sockaddr*, socklen_t*)) const {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    std::array<char, NI_MAXHOST> host{};
    std::array<char, NI_MAXSERV> service{};
    if (name(sock_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host.data(), host.size(),
                      service.data(), service.size(), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
      return {};
    }
    return {host.data(), std::atoi(service.data())};
  }

  const int sock_;
  bool& head_too_large_;
  std::array<char, 4096> buffer_{};
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t head_bytes_ = 0;
  bool in_request_line_ = true;
  bool write_failed_ = false;
  mutable std::optional<Endpoint> remote_;
  mutable std::optional<Endpoint> local_;
};

void SendAll(int sock, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(sock, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// Closes `sock` so that our last answer reaches the peer: closing with bytes unread (a body
// never read, a request sent after a closing answer) would reset the connection, and the peer
// could lose the answer. The peer is told the end and given kCloseDrain to close its side.
void CloseGently(int sock) {
  ::shutdown(sock, SHUT_WR);
  const auto until = MonotonicNow() + kCloseDrain;
  char sink[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - MonotonicNow());
    if (left.count() <= 0 || !AwaitSocket(sock, POLLIN, static_cast<int>(left.count())) ||
        ::recv(sock, sink, sizeof(sink), 0) <= 0) {
      break;
    }
  }
  ::close(sock);
}

void Refuse(int sock, const std::string& body) {
  SendAll(sock,
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body);
  CloseGently(sock);
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
    try {
      workers_.emplace_back([this] { Work(); });
    } catch (const std::system_error&) {
      // The system starts no more threads (address space, process limits): the connection
      // waits for a worker to come free, as past max_workers, rather than ending the process.
    }
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

void Connections::Serve(int sock, const ServeRequest& serve_request,
                        const std::function<std::string()>& refusal_body) {
  std::list<Connection>::iterator self;
  bool admitted = false;
  {
    std::lock_guard lock(mu_);
    if (closing_) {  // accepted just before the server stopped
      ::close(sock);
      return;
    }
    admitted = open_.size() < limits_.max_connections;
    if (admitted) {
      ++accepted_;
      self = open_.insert(open_.end(),
                          Connection{.sock = sock,
                                     .deadline = MonotonicNow() + limits_.keep_alive_timeout +
                                                 limits_.request_timeout});
      changed_.notify_all();
    } else {
      ++refused_;
    }
  }
  if (!admitted) {
    Refuse(sock, refusal_body());  // outside the lock: draining takes up to kCloseDrain
    return;
  }
  current_connection = &*self;
  ConnectionStream stream(sock, self->head_too_large);
  // A request is parsed once something has arrived; an idle peer is closed unserved. Whether
  // the connection stays open is the server's decision (ResponseSent), not the library's.
  while (stream.Buffered() || AwaitRequest(sock)) {
    stream.StartRequest();
    bool library_would_close = false;
    if (!serve_request(stream, library_would_close) || self->closing) break;
  }
  current_connection = nullptr;
  CloseGently(sock);
  std::lock_guard lock(mu_);
  open_.erase(self);
  if (closing_) changed_.notify_all();  // the watcher waits for the last one (Watch)
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
  std::lock_guard lock(mu_);
  connection->reading = true;
  connection->closing = connection_closing;
  connection->deadline = MonotonicNow() + limits_.keep_alive_timeout + limits_.request_timeout;
  if (connection->deadline < watch_until_) changed_.notify_all();
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
  const auto timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(limits_.keep_alive_timeout);
  return AwaitSocket(sock, POLLIN, static_cast<int>(timeout.count()));
}

bool Connections::HeadTooLarge() const {
  const auto* connection = static_cast<const Connection*>(current_connection);
  return connection != nullptr && connection->head_too_large;
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
    const auto now = MonotonicNow();
    for (Connection& connection : open_) {
      if (connection.reading && !connection.timed_out && connection.deadline <= now) {
        // The blocked read returns; cpp-httplib answers what it has and closes.
        connection.timed_out = true;
        ++timed_out_;
        ::shutdown(connection.sock, SHUT_RD);
      }
    }
  }
  // Stopping: answers being written get kStopGrace to finish; a peer that does not read its
  // answer holds the stop no longer (its blocked write returns).
  changed_.wait_for(lock, kStopGrace, [this] { return open_.empty(); });
  for (const Connection& connection : open_) ::shutdown(connection.sock, SHUT_RDWR);
}

}  // namespace gcsim::http
