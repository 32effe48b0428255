// How gcsim serves many clients at once on cpp-httplib, whose model is one worker thread per
// open connection: workers are added as connections arrive (up to a limit) so that idle or slow
// connections never starve a fresh one; every request must arrive whole within a deadline; past
// the connection limit a connection gets a 503 instead of a wait; Stop closes everything at once.
// The keep-alive loop is gcsim's own (cpp-httplib 0.11's drops what a client pipelined): the
// library parses and answers one request at a time from a stream that keeps what it read ahead.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gcsim::http {

// A cpp-httplib task queue that runs each connection on its own worker, starting workers on
// demand up to `max_workers` and keeping finished ones parked for the next connection. Past
// `max_workers`, or when the system starts no more threads, connections wait for a worker (in
// accept order).
class WorkerPool final : public httplib::TaskQueue {
 public:
  WorkerPool(size_t warm_workers, size_t max_workers);
  ~WorkerPool() override;

  void enqueue(std::function<void()> job) override;
  // Runs the queued jobs, then joins every worker.
  void shutdown() override;

 private:
  void Work();

  const size_t max_workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
  size_t idle_ = 0;
  bool stopping_ = false;
};

// The most bytes a request's line and headers may take (cpp-httplib keeps them without bound).
inline constexpr size_t kMaxRequestHeadBytes = 64 * 1024;

// The open connections: admits them up to a limit, closes the ones whose next request has not
// arrived whole in time, and closes all of them when the server stops. The request deadline is
// on the wall clock: it guards the server's threads against slow peers, not simulated time.
class Connections {
 public:
  struct Limits {
    size_t max_connections = 1024;
    // From a connection's start, or the end of its last response: the time allowed to be idle
    // (cpp-httplib closes an idle keep-alive connection itself) plus the time allowed to send
    // a whole request (line, headers and body).
    std::chrono::seconds keep_alive_timeout{5};
    std::chrono::seconds request_timeout{10};
  };

  explicit Connections(Limits limits);
  ~Connections();
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

  // Reads one request from the stream and answers it; false when none could be read or the
  // answer could not be written. `connection_closed`: what the library would do (unused: the
  // server decides, through ResponseSent).
  using ServeRequest = std::function<bool(httplib::Stream& stream, bool& connection_closed)>;

  // Serves `sock` when under the limit: each request that arrives on it, pipelined ones
  // included, until the peer closes, is idle for the keep-alive timeout, or a request or
  // response closes the connection; then closes the socket. Past the limit: answers 503 with
  // what `refusal_body` gives (an ErrorBody) and closes the socket.
  void Serve(int sock, const ServeRequest& serve_request,
             const std::function<std::string()>& refusal_body);

  // Called on the connection's own worker thread, from within `serve_request`: the request has
  // been read whole (no deadline while it is handled), and its response has been sent (the
  // deadline for the next one starts; `connection_closing`: nothing more is read from it).
  void RequestRead();
  void ResponseSent(bool connection_closing);
  // Called on the connection's own worker thread: the connection is reset, and the response
  // being written is lost (a reset fault).
  void ResetCurrent();
  // Whether the current worker's connection was closed for a request that came too slowly.
  bool TimedOut() const;
  // Whether the current worker's request was refused for a head past kMaxRequestHeadBytes.
  bool HeadTooLarge() const;

  // Shuts the reading side of every open connection (blocked reads return at once, responses
  // in flight are still written, for a moment) and stops the deadline watch.
  void CloseAll();

  size_t accepted_for_test() const;
  // Waits (at most `limit`) until `count` connections have been accepted; false at the limit.
  bool AwaitAccepted(size_t count, std::chrono::milliseconds limit) const;
  size_t refused_for_test() const;
  size_t timed_out_for_test() const;

 private:
  using SteadyClock = std::chrono::steady_clock;
  struct Connection {
    int sock = -1;
    bool reading = true;  // waiting for, or reading, a request: its deadline applies
    SteadyClock::time_point deadline;
    bool timed_out = false;
    // Its worker's alone:
    bool closing = false;         // its last response closed it
    bool head_too_large = false;  // a request's line and headers passed kMaxRequestHeadBytes
  };

  // Sleeps until `sock` has something to read (true) or has been idle for the keep-alive
  // timeout (false): an idle connection costs nothing until it speaks. (cpp-httplib's own wait
  // between requests polls every 10 ms and naps 1 ms: with hundreds of idle connections, that
  // alone kept the cores busy.)
  bool AwaitRequest(int sock) const;
  void Watch();
  SteadyClock::time_point NextDeadline() const;

  const Limits limits_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::list<Connection> open_;
  bool closing_ = false;
  // When the watcher next wakes by itself: a deadline moved later needs no wake-up, so an
  // answered request costs no context switch.
  SteadyClock::time_point watch_until_ = SteadyClock::time_point::max();
  size_t accepted_ = 0;
  size_t refused_ = 0;
  size_t timed_out_ = 0;
  std::thread watch_;  // last: started once the members above exist
};

}  // namespace gcsim::http
