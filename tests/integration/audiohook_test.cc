// AudioHook Monitor: gcsim streams each connected leg to an AudioHook server, here a real
// WebSocket server (port 0) that plays the server's part of the protocol, decodes every frame
// it gets, and can pause, resume, disconnect or drop a session.
#include "audiohook.h"

#include <gtest/gtest.h>

// Boost 1.74's asio uses std::exchange without including <utility> (C++20 coroutine support).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gcsim/common/clock.h"
#include "gcsim/core/simulator.h"
#include "gcsim/core/world.h"

namespace gcsim::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

int16_t DecodeMuLaw(uint8_t value) {
  value = static_cast<uint8_t>(~value);
  const int exponent = (value >> 4) & 0x07;
  const int sample = (((value & 0x0F) << 3) + 0x84) << exponent;
  return static_cast<int16_t>((value & 0x80) ? 0x84 - sample : sample - 0x84);
}

// What the server saw of one leg, over all its sessions.
struct Seen {
  std::vector<json> opens;
  std::map<std::string, std::string> headers;  // of the first session's upgrade
  std::vector<json> messages;                  // every text message, in order
  std::vector<int16_t> external;               // decoded samples of each channel, in order
  std::vector<int16_t> internal;
  bool closed = false;  // `close` received and answered
  bool dropped = false;  // its first session's socket was closed by the server
  const json* Last(const std::string& type) const {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
      if ((*it)["type"] == type) return &*it;
    }
    return nullptr;
  }
};

// What the server does on its own, beyond answering open, ping and close.
struct Reactions {
  bool pause_on_first_audio = false;  // `pause` once a session's first audio arrives
  bool resume_on_ping = false;        // `resume` after answering a ping while paused
  size_t disconnect_after = 0;        // `disconnect` once a leg sent this many samples; 0: never
  bool drop_first_session = false;    // close the first session's socket at its first audio
  bool garble_first_opened = false;   // answer the first open with parameters of the wrong type
};

// A blocking AudioHook server: one thread per connection, recording what it got by
// participant id.
class AudioHookServer {
 public:
  explicit AudioHookServer(Reactions reactions = {})
      : reactions_(reactions), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accepting_ = std::thread([this] { Accept(); });
  }
  ~AudioHookServer() {
    // A blocking accept does not wake when the acceptor closes: one last connection wakes it.
    stopping_ = true;
    beast::error_code ignored;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ignored);
    accepting_.join();
    acceptor_.close(ignored);
    for (std::thread& t : connections_) t.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port()) + "/audiohook"; }

  // Waits (a bounded wall time, for another thread) until `done` holds of what was seen.
  bool WaitFor(const std::function<bool(const std::map<std::string, Seen>&)>& done) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return done(seen_); });
  }
  std::map<std::string, Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  void Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) return;
      connections_.emplace_back([this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
    }
  }

  void Serve(tcp::socket socket) {
    beast::error_code ec;
    websocket::stream<tcp::socket> ws(std::move(socket));
    beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> request;
    boost::beast::http::read(ws.next_layer(), buffer, request, ec);
    if (ec) return;
    std::map<std::string, std::string> headers;
    for (const auto& field : request) {
      headers[std::string(field.name_string())] = std::string(field.value());
    }
    ws.accept(request, ec);
    if (ec) return;
    std::string participant, id;
    int64_t seq = 0;
    int64_t client_seq = 0;
    bool paused = false;
    bool disconnected = false;
    size_t samples = 0;
    const auto send = [&](const std::string& type, json parameters) {
      const json message = {{"version", "2"}, {"type", type},           {"seq", ++seq},
                            {"clientseq", client_seq}, {"id", id}, {"parameters", parameters}};
      ws.text(true);
      ws.write(asio::buffer(message.dump()), ec);
    };
    for (;;) {
      beast::flat_buffer in;
      ws.read(in, ec);
      if (ec) return;
      const std::string payload = beast::buffers_to_string(in.data());
      std::lock_guard lock(mu_);
      const json message = ws.got_binary() ? json() : json::parse(payload);
      if (!ws.got_binary() && message["type"] == "open") {
        participant = message["parameters"]["participant"]["id"];
      }
      Seen& seen = seen_[participant];
      if (ws.got_binary()) {
        for (size_t i = 0; i + 1 < payload.size(); i += 2) {
          seen.external.push_back(DecodeMuLaw(static_cast<uint8_t>(payload[i])));
          seen.internal.push_back(DecodeMuLaw(static_cast<uint8_t>(payload[i + 1])));
        }
        samples += payload.size() / 2;
        if (reactions_.drop_first_session && seen.opens.size() == 1) {
          ws.next_layer().close(ec);
          seen.dropped = true;
          changed_.notify_all();
          return;
        }
        if (reactions_.pause_on_first_audio && samples == payload.size() / 2) {
          send("pause", json::object());
          paused = true;
        }
        if (reactions_.disconnect_after > 0 && samples >= reactions_.disconnect_after &&
            !disconnected) {
          send("disconnect", {{"reason", "completed"}});
          disconnected = true;
        }
      } else {
        client_seq = message["seq"];
        id = message["id"];
        if (message["type"] == "open") {
          seen.opens.push_back(message);
          if (seen.headers.empty()) seen.headers = headers;
          seen.messages.push_back(message);
          if (reactions_.garble_first_opened && seen.opens.size() == 1) {
            send("opened", "not an object");
          } else {
            send("opened", {{"media", message["parameters"]["media"]}});
          }
        } else {
          seen.messages.push_back(message);
          if (message["type"] == "ping") {
            send("pong", json::object());
            if (paused && reactions_.resume_on_ping) {
              send("resume", json::object());
              paused = false;
            }
          } else if (message["type"] == "close") {
            seen.closed = true;
            send("closed", json::object());
          }
        }
      }
      changed_.notify_all();
    }
  }

  const Reactions reactions_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_ = false;
  std::thread accepting_;
  std::vector<std::thread> connections_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Seen> seen_;
};

// Whether every sample in [from, to) of `samples` is voice (loud) or silence (none is).
bool AllLoud(const std::vector<int16_t>& samples, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) {
    if (std::abs(samples.at(i)) < 4000) return false;
  }
  return true;
}
bool AllSilent(const std::vector<int16_t>& samples, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) {
    if (samples.at(i) != 0) return false;
  }
  return true;
}

constexpr auto kSyncLimit = std::chrono::seconds(20);

class AudioHookTest : public testing::Test {
 protected:
  void SetUp() override {
    auto sim = core::Simulator::Create({.clock = &clock_}, core::DemoWorld());
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_ = std::move(*sim);
    // The customer talks all the time, the agent never; the supervisor is silent already.
    ASSERT_TRUE(sim_->SetSpeech(customer_, core::SpeechScript::Always()).ok());
    ASSERT_TRUE(sim_->SetSpeech(agent_, core::SpeechScript::Never()).ok());
  }

  // Moves the clock and waits until every leg's audio reaches it.
  void AdvanceAndSync(AudioHookStreams& streams, Duration by) {
    clock_.Advance(by);
    ASSERT_TRUE(streams.Sync(kSyncLimit));
  }

  ManualClock clock_;
  std::unique_ptr<core::Simulator> sim_;
  const std::string customer_{core::kDemoCustomerId};
  const std::string agent_{core::kDemoAgentId};
  const std::string supervisor_{core::kDemoSupervisorId};
};

TEST_F(AudioHookTest, EachLegStreamsWhatOthersHearUpToTheClock) {
  AudioHookServer server;
  AudioHookStreams streams(*sim_, {.url = server.url(), .api_key = "key-1"});
  ASSERT_TRUE(streams.Start().ok());
  ASSERT_TRUE(streams.Sync(kSyncLimit));
  ASSERT_EQ(server.seen().size(), 3u) << "one session per connected person, open at the sync";

  // One second of talk, then one second muted, then the customer hangs up.
  AdvanceAndSync(streams, std::chrono::seconds(1));
  ASSERT_TRUE(sim_->SetMuted(customer_, true).ok());
  AdvanceAndSync(streams, std::chrono::seconds(1));
  ASSERT_TRUE(sim_->HangUp(customer_).ok());
  AdvanceAndSync(streams, std::chrono::seconds(1));
  ASSERT_TRUE(server.WaitFor([&](const auto& seen) { return seen.at(customer_).closed; }))
      << "the session closes when the leg leaves";
  // A sync means written to the socket; the server reads on its own threads.
  ASSERT_TRUE(server.WaitFor([&](const auto& seen) {
    return seen.at(agent_).external.size() >= 24'001 &&
           seen.at(supervisor_).external.size() >= 24'001;
  }));
  streams.Stop();

  const std::map<std::string, Seen> seen = server.seen();
  const Seen& customer = seen.at(customer_);
  ASSERT_EQ(customer.opens.size(), 1u);
  const json& open = customer.opens[0];
  EXPECT_EQ(open["version"], "2");
  EXPECT_EQ(open["seq"], 1);
  EXPECT_EQ(open["position"], "PT0.000S");
  EXPECT_EQ(open["parameters"]["conversationId"], core::kDemoConversationId);
  EXPECT_EQ(open["parameters"]["media"],
            json::parse(R"([{"type":"audio","format":"PCMU","channels":["external","internal"],
                            "rate":8000}])"));
  EXPECT_EQ(customer.headers.at("X-API-KEY"), "key-1");
  EXPECT_EQ(customer.headers.at("Audiohook-Session-Id"), open["id"]);
  EXPECT_TRUE(customer.headers.contains("Audiohook-Organization-Id"));

  // Every sample up to the instant it left (2 s, its sample included), none after it.
  ASSERT_EQ(customer.external.size(), 16'001u);
  EXPECT_TRUE(AllLoud(customer.external, 0, 8000)) << "talking in the first second";
  EXPECT_TRUE(AllSilent(customer.external, 8001, 16'001)) << "muted in the second";
  EXPECT_TRUE(AllSilent(customer.internal, 0, customer.internal.size()));
  const json* close = customer.Last("close");
  ASSERT_NE(close, nullptr);
  EXPECT_EQ(close->at("parameters")["reason"], "end");
  EXPECT_EQ(close->at("position"), "PT2.000S");
  for (const std::string& pid : {agent_, supervisor_}) {
    const Seen& quiet = seen.at(pid);
    EXPECT_EQ(quiet.external.size(), 24'001u) << pid << ": still connected at 3 s";
    EXPECT_TRUE(AllSilent(quiet.external, 0, quiet.external.size())) << pid;
  }
}

TEST_F(AudioHookTest, PingPauseResumeAndDisconnectRunAsTheProtocolSays) {
  AudioHookServer server({.pause_on_first_audio = true,
                          .resume_on_ping = true,
                          .disconnect_after = 8001 + 8000});
  AudioHookStreams streams(*sim_, {.url = server.url()});
  ASSERT_TRUE(streams.Start().ok());
  ASSERT_TRUE(streams.Sync(kSyncLimit));
  ASSERT_TRUE(server.WaitFor([&](const auto& seen) {
    return seen.contains(customer_) && seen.at(customer_).Last("paused") != nullptr;
  }));
  // Six seconds paused: the audio is discarded; the ping at 5 s brings the resume.
  AdvanceAndSync(streams, std::chrono::seconds(6));
  ASSERT_TRUE(server.WaitFor([&](const auto& seen) {
    return seen.at(customer_).Last("resumed") != nullptr;
  }));
  AdvanceAndSync(streams, std::chrono::seconds(2));
  ASSERT_TRUE(server.WaitFor([&](const auto& seen) { return seen.at(customer_).closed; }))
      << "a server's disconnect is answered with close";
  AdvanceAndSync(streams, std::chrono::seconds(10));
  streams.Stop();

  const Seen customer = server.seen().at(customer_);
  const json* ping = customer.Last("ping");
  ASSERT_NE(ping, nullptr);
  EXPECT_EQ(ping->at("position"), "PT5.000S") << "a ping after 5 s of audio";
  const json* resumed = customer.Last("resumed");
  EXPECT_EQ(resumed->at("parameters")["start"], "PT0.000S");
  EXPECT_EQ(resumed->at("parameters")["discarded"], "PT6.000S");
  EXPECT_EQ(resumed->at("position"), "PT6.000S");
  // One sample before the pause, none while paused, then 2 s until the disconnect.
  ASSERT_GE(customer.external.size(), 16'001u);
  EXPECT_LE(customer.external.size(), 16'001u + 800u) << "no audio after the disconnect";
  EXPECT_TRUE(AllLoud(customer.external, 0, customer.external.size()));
  EXPECT_EQ(customer.Last("close")->at("parameters")["reason"], "disconnect");
  EXPECT_EQ(customer.opens.size(), 1u) << "no new session after a server's disconnect";
}

TEST_F(AudioHookTest, ALostSessionIsFollowedByANewOneFiveSecondsLater) {
  AudioHookServer server({.drop_first_session = true});
  AudioHookStreams streams(*sim_, {.url = server.url()});
  ASSERT_TRUE(streams.Start().ok());
  ASSERT_TRUE(streams.Sync(kSyncLimit));
  ASSERT_TRUE(server.WaitFor([&](const auto& seen) { return seen.at(customer_).dropped; }));
  // Lost at 0s (gcsim learns of it a moment later): a new session from 5s on, not before.
  int reopened_at = 0;
  for (int second = 1; second <= 12 && reopened_at == 0; ++second) {
    AdvanceAndSync(streams, std::chrono::seconds(1));
    if (server.seen().at(customer_).opens.size() == 2) reopened_at = second;
  }
  streams.Stop();
  EXPECT_GE(reopened_at, 5) << "not before 5 s of simulator time";
  EXPECT_LE(reopened_at, 12);
  const Seen customer = server.seen().at(customer_);
  ASSERT_EQ(customer.opens.size(), 2u);
  EXPECT_NE(customer.opens[0]["id"], customer.opens[1]["id"]);
  EXPECT_EQ(customer.opens[1]["position"], "PT0.000S");
}

TEST_F(AudioHookTest, AnUnreadableAnswerEndsTheSessionNotTheSimulator) {
  AudioHookServer server({.garble_first_opened = true});
  AudioHookStreams streams(*sim_, {.url = server.url()});
  ASSERT_TRUE(streams.Start().ok());
  ASSERT_TRUE(streams.Sync(kSyncLimit)) << "a session that failed is not waited for";
  AdvanceAndSync(streams, std::chrono::seconds(6));
  ASSERT_TRUE(server.WaitFor([&](const auto& seen) {
    return seen.contains(customer_) && seen.at(customer_).opens.size() == 2 &&
           !seen.at(customer_).external.empty();
  })) << "a new session streams after the garbled one";
  streams.Stop();
}

TEST_F(AudioHookTest, ABadUrlIsRefusedAndAnUnreachableServerDoesNotStopTheWorld) {
  AudioHookStreams bad(*sim_, {.url = "http://127.0.0.1:1/"});
  EXPECT_FALSE(bad.Start().ok());
  // Nothing listens on the port of a closed acceptor: sessions fail, the simulator goes on,
  // and a sync does not wait for a server that is not there.
  int unused_port = 0;
  {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    unused_port = probe.local_endpoint().port();
  }
  AudioHookStreams streams(*sim_, {.url = "ws://127.0.0.1:" + std::to_string(unused_port) + "/"});
  ASSERT_TRUE(streams.Start().ok());
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_TRUE(streams.Sync(kSyncLimit));
  EXPECT_TRUE(sim_->HangUp(customer_).ok());
  streams.Stop();
}

}  // namespace
}  // namespace gcsim::http
