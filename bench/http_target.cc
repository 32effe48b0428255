// The servers scripts/bench points wrk at, so that gcsim and its baseline run in the same
// conditions and answer with the same bytes:
//   gcsim          gcsim::http::Server in-process (as `gcsim serve`), on a load world
//   bare           a bare cpp-httplib server replaying the bytes gcsim answered, with the
//                  settings gcsim uses (TCP_NODELAY on, keep-alive count unbounded)
//   bare-defaults  the same bare server with cpp-httplib's defaults for those two settings
// Each serves on 127.0.0.1 port 0, prints "listening on http://127.0.0.1:PORT" and runs until
// SIGINT or SIGTERM. The gcsim target also writes the request paths wrk cycles through (see
// bench/wrk/paths.lua). `--smoke` starts every target in-process, checks each answers as
// scripts/bench expects, and exits: the ctest that keeps this program from rotting.
// `--floor-gets G --floor-patches P` is no target: it sends G GETs and P no-op PATCHes one at a
// time through the reaper's own transport to the bare server in-process, prints
// "FLOOR_JSON {...}" and exits: the loopback round trips a client pays that sends a scenario's
// requests one after another, whatever gcsim and the client do with them.
#include <httplib.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "gcsim/client/transport.h"
#include "gcsim/common/clock.h"
#include "gcsim/common/strings.h"
#include "gcsim/core/simulator.h"
#include "gcsim/http/server.h"

namespace gcsim::bench {
namespace {

using nlohmann::json;

constexpr char kNoOpBody[] = R"({"dispositionCode":"no-answer","dropReason":"timeout"})";
constexpr char kDropBody[] = R"({"state":"disconnected"})";

struct Options {
  std::string server = "gcsim";  // gcsim | bare | bare-defaults
  int bridges = 10'000;
  std::string clock = "manual";  // manual | real (real: accepted drops land on their own)
  size_t threads = 32;           // worker threads, for gcsim and the bare servers alike
  std::string paths_dir;         // gcsim: where to write token.txt, get.txt, noop.txt, drop.txt
  bool smoke = false;
  int64_t floor_gets = -1;  // 0 or more: measure the round-trip floor instead of serving
  int64_t floor_patches = 0;
};

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "bench_http_target: " << message << std::endl;
  std::exit(1);
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(arg + " needs a value");
      return argv[++i];
    };
    // A whole number from 0 to `most`; anything else ends the program with a clear error.
    const auto count = [&](long long most) {
      const std::optional<long long> n = ParseInteger(value());
      if (!n || *n < 0 || *n > most) {
        Die(arg + " needs a whole number from 0 to " + std::to_string(most));
      }
      return *n;
    };
    if (arg == "--server")
      options.server = value();
    else if (arg == "--bridges")
      options.bridges = static_cast<int>(count(10'000'000));
    else if (arg == "--clock")
      options.clock = value();
    else if (arg == "--threads")
      options.threads = static_cast<size_t>(count(4096));
    else if (arg == "--paths-dir")
      options.paths_dir = value();
    else if (arg == "--smoke")
      options.smoke = true;
    else if (arg == "--floor-gets")
      options.floor_gets = count(1'000'000'000);
    else if (arg == "--floor-patches")
      options.floor_patches = count(1'000'000'000);
    else
      return std::nullopt;
  }
  if (options.server != "gcsim" && options.server != "bare" && options.server != "bare-defaults") {
    return std::nullopt;
  }
  if (options.clock != "manual" && options.clock != "real") return std::nullopt;
  if (options.floor_patches < 0 || (options.floor_patches > 0 && options.floor_gets < 0)) {
    return std::nullopt;
  }
  return options;
}

// gcsim as `gcsim serve --rate-limit 0` runs it, on a load world.
class GcsimTarget {
 public:
  explicit GcsimTarget(const Options& options) {
    if (options.clock == "manual") {
      auto manual = std::make_unique<ManualClock>();
      manual_ = manual.get();
      clock_ = std::move(manual);
    } else {
      clock_ = std::make_unique<RealClock>();
    }
    const core::WorldSpec world = LoadWorld(options.bridges);
    auto sim = core::Simulator::Create({.clock = clock_.get()}, world);
    if (!sim.ok()) Die(sim.status().message());
    sim_ = std::move(sim).value();
    auto server = http::Server::Create({.simulator = sim_.get(),
                                        .manual_clock = manual_,
                                        .initial_world = world,
                                        .threads = options.threads});
    if (!server.ok()) Die(server.status().message());
    server_ = std::move(server).value();
    auto port = server_->Start();
    if (!port.ok()) Die(port.status().message());
    url_ = "http://127.0.0.1:" + std::to_string(*port);
    token_ = FetchToken();
  }

  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  core::Simulator& sim() { return *sim_; }

  // The paths wrk cycles through: every conversation for GET, every leg for the no-op PATCH,
  // and legs 0-3 of every bridge for drops (the fourth ends the conversation, the fifth
  // would then answer 400).
  void WritePaths(const std::string& dir) {
    std::ofstream(dir + "/token.txt") << token_ << "\n";
    std::ofstream get(dir + "/get.txt"), noop(dir + "/noop.txt"), drop(dir + "/drop.txt");
    const std::vector<LegRef> legs = AllLegs(*sim_);
    for (size_t i = 0; i < legs.size(); ++i) {
      const std::string participant = "/api/v2/conversations/" + legs[i].conversation_id +
                                      "/participants/" + legs[i].participant_id;
      if (i % kLegsPerBridge == 0)
        get << "/api/v2/conversations/" << legs[i].conversation_id << "\n";
      noop << participant << "\n";
      if (i % kLegsPerBridge < 4) drop << participant << "\n";
    }
  }

 private:
  std::string FetchToken() {
    client::HttpTransport transport;
    auto response =
        transport.Send(url_, {.method = "POST",
                              .target = "/oauth/token",
                              .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
                              .body = std::string("grant_type=client_credentials&client_id=") +
                                      kClientId + "&client_secret=" + kClientSecret});
    if (!response.ok() || response->status != 200) Die("no token from gcsim");
    return json::parse(response->body).at("access_token").get<std::string>();
  }

  std::unique_ptr<Clock> clock_;
  ManualClock* manual_ = nullptr;
  std::unique_ptr<core::Simulator> sim_;
  std::unique_ptr<http::Server> server_;
  std::string url_;
  std::string token_;
};

// One gcsim answer, replayed byte for byte by the bare server.
struct Recorded {
  int status = 0;
  std::string body;
  client::Headers headers;
};

client::HttpRequest Authorized(const std::string& token, std::string method, std::string target,
                               std::string body = {}) {
  client::HttpRequest request{.method = std::move(method), .target = std::move(target)};
  request.headers["Authorization"] = "Bearer " + token;
  if (!body.empty()) request.headers["Content-Type"] = "application/json";
  request.body = std::move(body);
  return request;
}

Recorded Record(client::Transport& transport, const std::string& url,
                const client::HttpRequest& request) {
  auto response = transport.Send(url, request);
  if (!response.ok()) Die(response.status().message());
  return {response->status, response->body, response->headers};
}

// What gcsim answers to a GET of a five-leg bridge, a no-op PATCH and a drop.
struct Answers {
  Recorded get, noop, drop;
};

Answers RecordAnswers() {
  GcsimTarget gcsim({.bridges = 1});
  const std::vector<LegRef> legs = AllLegs(gcsim.sim());
  client::HttpTransport transport;
  const std::string leg_path = "/api/v2/conversations/" + legs[0].conversation_id +
                               "/participants/" + legs[0].participant_id;
  Answers answers;
  answers.get =
      Record(transport, gcsim.url(),
             Authorized(gcsim.token(), "GET", "/api/v2/conversations/" + legs[0].conversation_id));
  answers.noop =
      Record(transport, gcsim.url(), Authorized(gcsim.token(), "PATCH", leg_path, kNoOpBody));
  answers.drop =
      Record(transport, gcsim.url(), Authorized(gcsim.token(), "PATCH", leg_path, kDropBody));
  return answers;
}

// cpp-httplib and nothing else: whatever it costs gcsim beyond this is gcsim's own.
class BareTarget {
 public:
  BareTarget(const Answers& answers, const Options& options) : answers_(answers) {
    if (options.server == "bare") {
      http_.set_tcp_nodelay(true);
      http_.set_keep_alive_max_count(1'000'000'000);
    }
    // The same pool in both variants: only the two settings above differ.
    http_.new_task_queue = [threads = options.threads] { return new httplib::ThreadPool(threads); };
    http_.Get(".*", [this](const httplib::Request&, httplib::Response& res) {
      Replay(answers_.get, res);
    });
    http_.Patch(".*", [this](const httplib::Request& req, httplib::Response& res) {
      // The only decision the bare server makes: which of the two recorded answers.
      Replay(req.body.find("\"state\"") != std::string::npos ? answers_.drop : answers_.noop, res);
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    if (port_ < 0) Die("bare server cannot bind");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::yield();
  }
  ~BareTarget() {
    http_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  static void Replay(const Recorded& recorded, httplib::Response& res) {
    res.status = recorded.status;
    for (const auto& [name, value] : recorded.headers) {
      if (name == "Content-Type" || name == "Content-Length" || name == "Keep-Alive" ||
          name == "Connection") {
        continue;  // cpp-httplib writes these itself
      }
      res.set_header(name, value);
    }
    if (!recorded.body.empty()) res.set_content(recorded.body, "application/json");
  }

  const Answers answers_;
  httplib::Server http_;
  int port_ = 0;
  std::thread thread_;
};

void WaitForStopSignal(const sigset_t& signals) {
  int signal = 0;
  sigwait(&signals, &signal);
}

// Every target answers the three requests scripts/bench sends as it expects, and the bare
// server's GET body is gcsim's byte for byte.
int Smoke() {
  const Answers answers = RecordAnswers();
  GcsimTarget gcsim({.bridges = 20});
  const std::vector<LegRef> legs = AllLegs(gcsim.sim());
  client::HttpTransport transport;
  int failures = 0;
  const auto expect = [&failures](bool ok, const std::string& what) {
    if (!ok) {
      std::cerr << "smoke: " << what << std::endl;
      ++failures;
    }
  };
  for (size_t i = 0; i < legs.size(); i += kLegsPerBridge) {
    const std::string conv = "/api/v2/conversations/" + legs[i].conversation_id;
    const Recorded get = Record(transport, gcsim.url(), Authorized(gcsim.token(), "GET", conv));
    expect(get.status == 200, "gcsim GET " + conv + " answered " + std::to_string(get.status));
    // Bridges differ only in their name ("Generated bridge 12"): a few bytes at most.
    const auto size_gap =
        static_cast<long>(get.body.size()) - static_cast<long>(answers.get.body.size());
    expect(std::labs(size_gap) <= 8,
           "GET body of " + conv + " is not the size the bare server replays");
    for (size_t j = i; j < i + 4; ++j) {
      const std::string leg = conv + "/participants/" + legs[j].participant_id;
      const Recorded noop =
          Record(transport, gcsim.url(), Authorized(gcsim.token(), "PATCH", leg, kNoOpBody));
      expect(noop.status == 204, "gcsim no-op PATCH answered " + std::to_string(noop.status));
      const Recorded drop =
          Record(transport, gcsim.url(), Authorized(gcsim.token(), "PATCH", leg, kDropBody));
      expect(drop.status == 202, "gcsim drop answered " + std::to_string(drop.status));
    }
  }
  for (const char* variant : {"bare", "bare-defaults"}) {
    BareTarget bare(answers, {.server = variant, .threads = 4});
    // Closed before the server stops: an open keep-alive connection would hold its worker.
    client::HttpTransport bare_client;
    const Recorded get = Record(bare_client, bare.url(), {.method = "GET", .target = "/any"});
    expect(get.status == 200 && get.body == answers.get.body,
           std::string(variant) + " GET differs");
    const Recorded noop =
        Record(bare_client, bare.url(), {.method = "PATCH", .target = "/any", .body = kNoOpBody});
    expect(noop.status == 204,
           std::string(variant) + " no-op PATCH answered " + std::to_string(noop.status));
    const Recorded drop =
        Record(bare_client, bare.url(), {.method = "PATCH", .target = "/any", .body = kDropBody});
    expect(drop.status == 202,
           std::string(variant) + " drop answered " + std::to_string(drop.status));
  }
  std::cout << (failures == 0 ? "smoke: ok" : "smoke: FAILED") << std::endl;
  return failures == 0 ? 0 : 1;
}

// The round-trip floor: the requests, interleaved as evenly as their counts allow, one at a time
// on one keep-alive connection, each answered with gcsim's recorded bytes.
int Floor(Options options) {
  options.server = "bare";
  BareTarget bare(RecordAnswers(), options);
  client::HttpTransport transport;
  const client::HttpRequest get{.method = "GET", .target = "/any"};
  const client::HttpRequest patch{.method = "PATCH", .target = "/any", .body = kNoOpBody};
  const int64_t gets = options.floor_gets, patches = options.floor_patches;
  RealClock wall;
  const TimePoint start = wall.Now();
  int64_t sent_patches = 0;
  for (int64_t i = 0; i < gets + patches; ++i) {
    // A PATCH whenever the PATCHes sent so far fall behind their share of the requests.
    const bool is_patch = sent_patches * (gets + patches) < (i + 1) * patches;
    sent_patches += is_patch ? 1 : 0;
    auto response = transport.Send(bare.url(), is_patch ? patch : get);
    if (!response.ok()) Die("floor: " + response.status().message());
  }
  const double wall_ms = std::chrono::duration<double, std::milli>(wall.Now() - start).count();
  std::cout << "FLOOR_JSON "
            << json{{"gets", gets + patches - sent_patches},
                    {"patches", sent_patches},
                    {"wall_ms", wall_ms},
                    {"us_per_request",
                     gets + patches > 0 ? wall_ms * 1000 / static_cast<double>(gets + patches) : 0}}
                   .dump()
            << std::endl;
  return 0;
}

int Main(int argc, char** argv) {
  const std::optional<Options> options = ParseArgs(argc, argv);
  if (!options) {
    std::cerr << "usage: bench_http_target [--server gcsim|bare|bare-defaults] [--bridges N]\n"
                 "         [--clock manual|real] [--threads N] [--paths-dir DIR] | --smoke\n"
                 "       | --floor-gets G [--floor-patches P]\n";
    return 2;
  }
  if (options->smoke) return Smoke();
  if (options->floor_gets >= 0) return Floor(*options);

  // Blocked before any thread starts, so that only sigwait() sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (options->server == "gcsim") {
    GcsimTarget gcsim(*options);
    if (!options->paths_dir.empty()) gcsim.WritePaths(options->paths_dir);
    std::cout << "listening on " << gcsim.url() << std::endl;
    WaitForStopSignal(signals);
    return 0;
  }
  BareTarget bare(RecordAnswers(), *options);
  std::cout << "listening on " << bare.url() << std::endl;
  WaitForStopSignal(signals);
  return 0;
}

}  // namespace
}  // namespace gcsim::bench

int main(int argc, char** argv) { return gcsim::bench::Main(argc, argv); }
