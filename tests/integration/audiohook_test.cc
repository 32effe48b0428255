// AudioHook Monitor: gcsim streams each connected leg to an AudioHook server, here a real
// WebSocket server (Boost.Beast, port 0) that plays the server's part of the protocol and
// decodes every frame it gets.
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

// What the server saw of one session.
struct Seen {
  json open;
  std::map<std::string, std::string> headers;
  std::vector<std::string> frames;  // binary messages, as sent
  bool closed = false;              // `close` received and answered
};

// Mean absolute amplitude of one channel (0: external, 1: internal) of a PCMU frame.
double Level(const std::string& frame, int channel) {
  double sum = 0;
  for (size_t i = channel; i < frame.size(); i += 2) {
    sum += std::abs(DecodeMuLaw(static_cast<uint8_t>(frame[i])));
  }
  return sum / static_cast<double>(frame.size() / 2);
}

// A blocking AudioHook server: one thread per connection, each answering open with opened and
// close with closed, recording what it got by participant id.
class AudioHookServer {
 public:
  AudioHookServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
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
    std::map<std::string, std::string> headers;
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type&) {}));
    beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> request;
    boost::beast::http::read(ws.next_layer(), buffer, request, ec);
    if (ec) return;
    for (const auto& field : request) {
      headers[std::string(field.name_string())] = std::string(field.value());
    }
    ws.accept(request, ec);
    if (ec) return;
    std::string participant;
    int64_t seq = 0;
    for (;;) {
      beast::flat_buffer in;
      ws.read(in, ec);
      if (ec) return;
      std::string payload = beast::buffers_to_string(in.data());
      std::lock_guard lock(mu_);
      if (ws.got_binary()) {
        seen_[participant].frames.push_back(std::move(payload));
      } else {
        const json message = json::parse(payload);
        const json answer = {{"version", "2"},  {"id", message["id"]},
                             {"seq", ++seq},     {"clientseq", message["seq"]},
                             {"parameters", {{"media", message["parameters"].value("media", json())}}}};
        if (message["type"] == "open") {
          participant = message["parameters"]["participant"]["id"];
          seen_[participant].open = message;
          seen_[participant].headers = headers;
          json opened = answer;
          opened["type"] = "opened";
          ws.text(true);
          ws.write(asio::buffer(opened.dump()), ec);
        } else if (message["type"] == "close") {
          seen_[participant].closed = true;
          json closed = answer;
          closed["type"] = "closed";
          closed["parameters"] = json::object();
          ws.text(true);
          ws.write(asio::buffer(closed.dump()), ec);
        }
      }
      changed_.notify_all();
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_ = false;
  std::thread accepting_;
  std::vector<std::thread> connections_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Seen> seen_;
};

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

  size_t Frames(const std::string& pid) { return server_.seen()[pid].frames.size(); }
  void WaitForFrames(const std::string& pid, size_t n) {
    ASSERT_TRUE(server_.WaitFor([&](const auto& seen) {
      const auto it = seen.find(pid);
      return it != seen.end() && it->second.frames.size() >= n;
    })) << pid << " has " << Frames(pid) << " frames, expected " << n;
  }

  ManualClock clock_;
  std::unique_ptr<core::Simulator> sim_;
  AudioHookServer server_;
  const std::string customer_{core::kDemoCustomerId};
  const std::string agent_{core::kDemoAgentId};
  const std::string supervisor_{core::kDemoSupervisorId};
};

TEST_F(AudioHookTest, EachLegStreamsWhatOthersHear) {
  AudioHookStreams streams(*sim_, {.url = "ws://127.0.0.1:" + std::to_string(server_.port()) +
                                          "/audiohook",
                                   .api_key = "key-1"});
  ASSERT_TRUE(streams.Start().ok());
  ASSERT_TRUE(server_.WaitFor([](const auto& seen) { return seen.size() == 3; }))
      << "one session per connected person";

  // One second of talk, then one second muted, then the customer hangs up.
  clock_.Advance(std::chrono::seconds(1));
  WaitForFrames(customer_, 10);
  ASSERT_TRUE(sim_->SetMuted(customer_, true).ok());
  clock_.Advance(std::chrono::seconds(1));
  WaitForFrames(customer_, 20);
  WaitForFrames(agent_, 20);
  ASSERT_TRUE(sim_->HangUp(customer_).ok());
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(server_.WaitFor([&](const auto& seen) { return seen.at(customer_).closed; }))
      << "the session closes when the leg leaves";
  streams.Stop();

  const std::map<std::string, Seen> seen = server_.seen();
  const Seen& customer = seen.at(customer_);
  EXPECT_EQ(customer.open["version"], "2");
  EXPECT_EQ(customer.open["seq"], 1);
  EXPECT_EQ(customer.open["position"], "PT0.000S");
  EXPECT_EQ(customer.open["parameters"]["conversationId"], core::kDemoConversationId);
  EXPECT_EQ(customer.open["parameters"]["media"],
            json::parse(R"([{"type":"audio","format":"PCMU","channels":["external","internal"],
                            "rate":8000}])"));
  EXPECT_EQ(customer.headers.at("X-API-KEY"), "key-1");
  EXPECT_EQ(customer.headers.at("Audiohook-Session-Id"), customer.open["id"]);
  EXPECT_TRUE(customer.headers.contains("Audiohook-Organization-Id"));

  // 100 ms frames: 800 samples per channel, interleaved.
  ASSERT_EQ(customer.frames.size(), 20u) << "two seconds of audio, none after it left";
  for (size_t i = 0; i < customer.frames.size(); ++i) {
    const std::string& frame = customer.frames[i];
    ASSERT_EQ(frame.size(), 1600u);
    EXPECT_EQ(Level(frame, 1), 0) << "internal channel, frame " << i;
    if (i < 10) {
      EXPECT_GT(Level(frame, 0), 1000) << "talking, frame " << i;
    } else {
      EXPECT_EQ(Level(frame, 0), 0) << "muted, frame " << i;
    }
  }
  for (const std::string& frame : seen.at(agent_).frames) EXPECT_EQ(Level(frame, 0), 0);
  for (const std::string& frame : seen.at(supervisor_).frames) EXPECT_EQ(Level(frame, 0), 0);
}

TEST_F(AudioHookTest, ABadUrlIsRefusedAndAnUnreachableServerDoesNotStopTheWorld) {
  AudioHookStreams bad(*sim_, {.url = "http://127.0.0.1:1/"});
  EXPECT_FALSE(bad.Start().ok());
  // Nothing listens on the port of a closed acceptor: sessions fail, the simulator goes on.
  int unused_port = 0;
  {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    unused_port = probe.local_endpoint().port();
  }
  AudioHookStreams streams(*sim_, {.url = "ws://127.0.0.1:" + std::to_string(unused_port) + "/"});
  ASSERT_TRUE(streams.Start().ok());
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_TRUE(sim_->HangUp(customer_).ok());
  streams.Stop();
}

}  // namespace
}  // namespace gcsim::http
