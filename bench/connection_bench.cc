// Connection capacity: does a fresh client still get a prompt answer, and do busy clients keep
// their throughput, while hundreds of idle keep-alive connections and dozens of slow-header
// connections are open? Two phases on one in-process gcsim server (real clock, loopback):
//   alone:  the busy keep-alive clients and the fresh client, nothing else open;
//   siege:  the same, plus the idle connections (one request every 4 s each, inside the
//           keep-alive timeout) and the slow ones (one header byte a second, reopened when
//           the server cuts them off).
// Prints one line `CONNECTIONS_JSON {...}` for bench/report.py.
//   bench_connections [--idle 500] [--slow 64] [--busy 64] [--seconds 8] | --smoke
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gcsim/common/clock.h"
#include "gcsim/common/strings.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"
#include "gcsim/http/server.h"

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr char kHealth[] = "GET /sim/v1/health HTTP/1.1\r\nHost: bench\r\n\r\n";

struct Options {
  int idle = 500;
  int slow = 64;
  int busy = 64;
  int seconds = 8;
};

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads whatever has arrived without blocking; false when the peer closed.
bool Drain(int fd) {
  char sink[4096];
  while (true) {
    const ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
    if (n > 0) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

// Idle keep-alive connections: each sends one request every 4 s, staggered, and reads its
// answer later. Reopens a connection the server closed.
void RunIdle(int port, int count, const std::atomic<bool>& stop) {
  std::vector<int> fds(count);
  for (int& fd : fds) fd = Connect(port);
  const auto start = SteadyClock::now();
  std::vector<SteadyClock::time_point> next(count);
  for (int i = 0; i < count; ++i) next[i] = start + std::chrono::milliseconds(4000 * i / count);
  while (!stop) {
    const auto now = SteadyClock::now();
    for (int i = 0; i < count; ++i) {
      if (fds[i] < 0 || !Drain(fds[i])) {
        if (fds[i] >= 0) close(fds[i]);
        fds[i] = Connect(port);
      }
      if (now >= next[i] && fds[i] >= 0) {
        send(fds[i], kHealth, sizeof(kHealth) - 1, MSG_NOSIGNAL);
        next[i] += std::chrono::seconds(4);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const int fd : fds) close(fd);
}

// Slow-header connections: a request line, then one header byte a second, forever.
void RunSlow(int port, int count, const std::atomic<bool>& stop, std::atomic<int>& reopened) {
  std::vector<int> fds(count);
  for (int& fd : fds) {
    fd = Connect(port);
    send(fd, "GET /sim/v1/health HTTP/1.1\r\nX-Slow: ", 37, MSG_NOSIGNAL);
  }
  while (!stop) {
    for (int& fd : fds) {
      if (fd < 0 || !Drain(fd) || send(fd, "a", 1, MSG_NOSIGNAL) != 1) {
        if (fd >= 0) close(fd);
        fd = Connect(port);
        send(fd, "GET /sim/v1/health HTTP/1.1\r\nX-Slow: ", 37, MSG_NOSIGNAL);
        ++reopened;
      }
    }
    for (int i = 0; i < 50 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const int fd : fds) close(fd);
}

struct PhaseResult {
  double busy_rps = 0;
  double fresh_p50_ms = 0;
  double fresh_p99_ms = 0;
  double fresh_max_ms = 0;
  int fresh_failed = 0;
  int fresh_count = 0;
};

// Busy clients loop on keep-alive GETs; the fresh client opens a new connection for each GET,
// ten times a second, and records how long the answer took.
PhaseResult RunPhase(int port, const Options& options) {
  std::atomic<bool> stop{false};
  std::atomic<long> busy_requests{0};
  std::vector<std::thread> busy;
  for (int i = 0; i < options.busy; ++i) {
    busy.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      while (!stop) {
        if (auto res = client.Get("/sim/v1/health"); res && res->status == 200) ++busy_requests;
      }
    });
  }
  std::vector<double> latencies;
  PhaseResult result;
  const auto start = SteadyClock::now();
  const auto end = start + std::chrono::seconds(options.seconds);
  while (SteadyClock::now() < end) {
    const auto asked = SteadyClock::now();
    httplib::Client fresh("127.0.0.1", port);
    fresh.set_read_timeout(std::chrono::seconds(30));
    const auto res = fresh.Get("/sim/v1/health");
    const double ms =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - asked).count();
    if (res && res->status == 200) {
      latencies.push_back(ms);
    } else {
      ++result.fresh_failed;
    }
    std::this_thread::sleep_until(asked + std::chrono::milliseconds(100));
  }
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
  stop = true;
  for (auto& thread : busy) thread.join();
  result.busy_rps = static_cast<double>(busy_requests) / elapsed;
  std::sort(latencies.begin(), latencies.end());
  result.fresh_count = static_cast<int>(latencies.size());
  if (!latencies.empty()) {
    const auto at = [&](double q) {
      return latencies[std::min(latencies.size() - 1, static_cast<size_t>(q * latencies.size()))];
    };
    result.fresh_p50_ms = at(0.5);
    result.fresh_p99_ms = at(0.99);
    result.fresh_max_ms = latencies.back();
  }
  return result;
}

nlohmann::json ToJson(const PhaseResult& r) {
  return {{"busy_rps", r.busy_rps},         {"fresh_p50_ms", r.fresh_p50_ms},
          {"fresh_p99_ms", r.fresh_p99_ms}, {"fresh_max_ms", r.fresh_max_ms},
          {"fresh_failed", r.fresh_failed}, {"fresh_count", r.fresh_count}};
}

}  // namespace

int main(int argc, char** argv) {
  constexpr char kUsage[] =
      "usage: bench_connections [--idle N] [--slow N] [--busy N] [--seconds S] | --smoke\n";
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    // A whole number, 0 or more; -1 (refused below) when it is missing or anything else.
    const auto value = [&] {
      const std::optional<long long> n =
          i + 1 < argc ? gcsim::ParseInteger(argv[++i]) : std::nullopt;
      return n && *n >= 0 && *n <= 100'000 ? static_cast<int>(*n) : -1;
    };
    if (arg == "--idle") {
      options.idle = value();
    } else if (arg == "--slow") {
      options.slow = value();
    } else if (arg == "--busy") {
      options.busy = value();
    } else if (arg == "--seconds") {
      options.seconds = value();
    } else if (arg == "--smoke") {
      options = {.idle = 20, .slow = 4, .busy = 4, .seconds = 1};
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (options.idle < 0 || options.slow < 0 || options.busy < 0 || options.seconds < 0) {
    std::cerr << "bench_connections: each count is a whole number from 0 to 100000\n" << kUsage;
    return 2;
  }
  // Client and server sockets share this process's open-file limit.
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  gcsim::RealClock clock;
  auto sim = gcsim::core::Simulator::Create({.clock = &clock}, gcsim::core::DemoWorld()).value();
  auto server = gcsim::http::Server::Create({.simulator = sim.get()}).value();
  const int port = server->Start().value();

  const PhaseResult alone = RunPhase(port, options);

  std::atomic<bool> stop{false};
  std::atomic<int> slow_reopened{0};
  std::thread idle([&] { RunIdle(port, options.idle, stop); });
  std::thread slow([&] { RunSlow(port, options.slow, stop, slow_reopened); });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let them all connect
  const PhaseResult siege = RunPhase(port, options);
  stop = true;
  idle.join();
  slow.join();
  const gcsim::http::ConnectionStats stats = server->connection_stats();
  server->Stop();

  const nlohmann::json out = {{"idle", options.idle},
                              {"slow", options.slow},
                              {"busy", options.busy},
                              {"seconds", options.seconds},
                              {"alone", ToJson(alone)},
                              {"siege", ToJson(siege)},
                              {"slow_reopened", slow_reopened.load()},
                              {"accepted", stats.accepted},
                              {"refused", stats.refused},
                              {"timed_out", stats.timed_out}};
  std::cout << "CONNECTIONS_JSON " << out.dump() << std::endl;
  return siege.fresh_count > 0 ? 0 : 1;
}
