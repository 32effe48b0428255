#include "audiohook.h"

// Boost 1.74's asio uses std::exchange without including <utility> (C++20 coroutine support).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <numbers>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "gcsim/common/ids.h"

namespace gcsim::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

// How often the world is looked at: audio trails the clock by at most this much wall time.
constexpr auto kPumpEvery = std::chrono::milliseconds(20);
constexpr Duration kFrame = std::chrono::milliseconds(100);
constexpr int kSampleRate = 8000;
constexpr int kSamplesPerFrame = kSampleRate / 10;  // per channel, in 100 ms
// A leg far behind (a manual clock advanced by minutes) catches up this much per look, so one
// leg cannot starve the others.
constexpr int kMaxFramesPerPump = 100;
// A server that does not answer the upgrade or `open` is given up on after this.
constexpr auto kOpenTimeout = std::chrono::seconds(10);
// What a talking leg sounds like: a tone loud enough for any voice-activity threshold.
constexpr double kToneHz = 440;
constexpr double kToneAmplitude = 8000;

// G.711 mu-law, as PCMU carries it.
uint8_t MuLaw(int16_t pcm) {
  constexpr int kBias = 0x84;
  constexpr int kClip = 32635;
  const int sign = pcm < 0 ? 0x80 : 0;
  int sample = pcm < 0 ? -static_cast<int>(pcm) : pcm;
  sample = std::min(sample, kClip) + kBias;
  int exponent = 7;
  for (int mask = 0x4000; (sample & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  const int mantissa = (sample >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

// The protocol's durations: "PT12.300S".
std::string Position(Duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "PT%.3fS",
                std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0);
  return text;
}

struct Target {
  std::string host;
  std::string port;
  std::string path;
};

Result<Target> ParseUrl(const std::string& url) {
  constexpr std::string_view kScheme = "ws://";
  if (url.rfind(kScheme, 0) != 0) {
    return InvalidArgumentError("audiohook url " + url + ": expected ws://HOST:PORT/PATH");
  }
  const std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  Target target{.path = slash == std::string::npos ? "/" : rest.substr(slash)};
  const size_t colon = authority.rfind(':');
  target.host = authority.substr(0, colon);
  target.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (target.host.empty() || target.port.empty()) {
    return InvalidArgumentError("audiohook url " + url + ": expected ws://HOST:PORT/PATH");
  }
  return target;
}

// Who a session is about, as its `open` names them.
struct LegInfo {
  std::string participant_id;
  std::string conversation_id;
  std::string address;
  std::string name;
  std::string direction;
};

// One AudioHook session: one leg's audio, on the streams' thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context& io, const Target& target, const AudioHookOptions& options,
          LegInfo leg, std::string session_id, TimePoint start)
      : resolver_(io),
        ws_(io),
        target_(target),
        options_(options),
        leg_(std::move(leg)),
        id_(std::move(session_id)),
        next_frame_(start),
        start_(start) {}

  void Start() {
    beast::get_lowest_layer(ws_).expires_after(kOpenTimeout);
    resolver_.async_resolve(target_.host, target_.port,
                            [self = shared_from_this()](beast::error_code ec,
                                                        tcp::resolver::results_type results) {
                              if (ec) return self->Fail();
                              self->Connect(results);
                            });
  }

  bool open() const { return open_ && !ending_; }
  bool finished() const { return failed_ || done_; }
  TimePoint next_frame() const { return next_frame_; }

  // Appends the frame [next_frame, next_frame + 100 ms) of `leg` and moves on.
  void SendFrame(const core::Participant& leg) {
    std::string frame(2 * kSamplesPerFrame, static_cast<char>(MuLaw(0)));
    for (int i = 0; i < kSamplesPerFrame; ++i) {
      const TimePoint at = next_frame_ + i * kFrame / kSamplesPerFrame;
      if (!core::HeardAt(leg, at)) continue;
      const double phase = 2 * std::numbers::pi * kToneHz * static_cast<double>(samples_ + i) /
                           kSampleRate;
      frame[2 * i] = static_cast<char>(MuLaw(static_cast<int16_t>(kToneAmplitude * std::sin(phase))));
    }
    samples_ += kSamplesPerFrame;
    next_frame_ += kFrame;
    Queue(std::move(frame), /*binary=*/true);
  }

  // The leg is over: `close` once the audio so far is out, then `closed` ends the socket.
  void End() {
    if (ending_ || failed_) return;
    ending_ = true;
    if (open_) Queue(Message("close", {{"reason", "end"}}).dump(), false);
  }

  // At once, without the closing exchange (gcsim is stopping).
  void Abort() {
    failed_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  void Connect(const tcp::resolver::results_type& results) {
    beast::get_lowest_layer(ws_).async_connect(
        results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->Fail();
          self->Handshake();
        });
  }

  void Handshake() {
    ws_.set_option(websocket::stream_base::decorator([this](websocket::request_type& request) {
      request.set("Audiohook-Organization-Id", options_.organization_id);
      request.set("Audiohook-Correlation-Id", id_);
      request.set("Audiohook-Session-Id", id_);
      if (!options_.api_key.empty()) request.set("X-API-KEY", options_.api_key);
    }));
    ws_.async_handshake(target_.host + ":" + target_.port, target_.path,
                        [self = shared_from_this()](beast::error_code ec) {
                          if (ec) return self->Fail();
                          beast::get_lowest_layer(self->ws_).expires_never();
                          self->ws_.set_option(websocket::stream_base::timeout::suggested(
                              beast::role_type::client));
                          self->Queue(self->OpenMessage().dump(), false);
                          self->Read();
                        });
  }

  json Message(const char* type, json parameters) {
    return {{"version", "2"},
            {"type", type},
            {"seq", ++seq_},
            {"serverseq", serverseq_},
            {"id", id_},
            {"position", Position(next_frame_ - start_)},
            {"parameters", std::move(parameters)}};
  }

  json OpenMessage() {
    const bool inbound = leg_.direction != "outbound";
    return Message("open", {{"organizationId", options_.organization_id},
                            {"conversationId", leg_.conversation_id},
                            {"participant",
                             {{"id", leg_.participant_id},
                              {"ani", inbound ? leg_.address : ""},
                              {"aniName", leg_.name},
                              {"dnis", inbound ? "" : leg_.address}}},
                            {"media", json::array({{{"type", "audio"},
                                                    {"format", "PCMU"},
                                                    {"channels", {"external", "internal"}},
                                                    {"rate", kSampleRate}}})},
                            {"language", "en-US"}});
  }

  void Read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Finish();
      const json message = json::parse(beast::buffers_to_string(self->in_.data()), nullptr, false);
      self->in_.consume(self->in_.size());
      const std::string type = message.is_object() ? message.value("type", "") : "";
      if (message.is_object() && message.contains("seq") && message["seq"].is_number_integer()) {
        self->serverseq_ = message["seq"].get<int64_t>();
      }
      if (type == "opened") {
        self->open_ = true;
        if (self->ending_) self->Queue(self->Message("close", {{"reason", "end"}}).dump(), false);
      } else if (type == "closed" || type == "disconnect") {
        self->ws_.async_close(websocket::close_code::normal,
                              [self](beast::error_code) { self->Finish(); });
        return;
      }
      self->Read();
    });
  }

  void Queue(std::string payload, bool binary) {
    if (failed_ || done_) return;
    outbox_.emplace_back(std::move(payload), binary);
    if (outbox_.size() == 1) Write();
  }

  void Write() {
    ws_.binary(outbox_.front().second);
    ws_.async_write(asio::buffer(outbox_.front().first),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) return self->Fail();
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) self->Write();
                    });
  }

  void Fail() {
    failed_ = true;
    outbox_.clear();
  }
  void Finish() {
    done_ = true;
    outbox_.clear();
  }

  tcp::resolver resolver_;
  websocket::stream<beast::tcp_stream> ws_;
  const Target& target_;
  const AudioHookOptions& options_;
  const LegInfo leg_;
  const std::string id_;
  TimePoint next_frame_;  // where the audio sent so far ends
  const TimePoint start_;
  int64_t samples_ = 0;
  int64_t seq_ = 0;
  int64_t serverseq_ = 0;
  beast::flat_buffer in_;
  std::deque<std::pair<std::string, bool>> outbox_;  // payload, binary
  bool open_ = false;
  bool ending_ = false;
  bool failed_ = false;
  bool done_ = false;
};

}  // namespace

class AudioHookStreams::Impl {
 public:
  Impl(const core::Simulator& sim, AudioHookOptions options)
      : sim_(sim), options_(std::move(options)) {}
  ~Impl() { Stop(); }

  Status Start() {
    auto target = ParseUrl(options_.url);
    if (!target.ok()) return target.status();
    target_ = std::move(*target);
    Pump();
    thread_ = std::thread([this] { io_.run(); });
    return Status::Ok();
  }

  void Stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      pump_.cancel();
      for (auto& [leg, session] : sessions_) session->Abort();
      io_.stop();
    });
    thread_.join();
  }

 private:
  // Opens a session for each connected person's leg not yet streamed, sends each open
  // session the frames the clock has reached, and ends the sessions of legs that left.
  void Pump() {
    std::set<std::string> seen;
    sim_.Read([&](const core::WorldView& world) {
      const TimePoint now = world.now();
      for (const core::Conversation* conv : world.ConversationsByStart()) {
        for (const core::Participant* leg : conv->participants) {
          if (!core::IsHuman(leg->purpose) || !leg->connected_time) continue;
          auto it = sessions_.find(leg->id);
          if (it == sessions_.end()) {
            if (leg->state != core::LegState::kConnected) continue;
            auto session = std::make_shared<Session>(
                io_, target_, options_,
                LegInfo{leg->id, conv->id, leg->address, leg->name, leg->direction},
                ids_.NextUuid(), now);
            session->Start();
            it = sessions_.emplace(leg->id, std::move(session)).first;
          }
          seen.insert(leg->id);
          Session& session = *it->second;
          if (!session.open()) continue;
          const TimePoint until = leg->end_time ? std::min(now, *leg->end_time) : now;
          for (int n = 0; n < kMaxFramesPerPump && session.next_frame() + kFrame <= until; ++n) {
            session.SendFrame(*leg);
          }
          if (leg->end_time && session.next_frame() + kFrame > *leg->end_time) session.End();
        }
      }
    });
    // Legs gone with a reset end their sessions. Ended sessions stay, so that a leg is
    // streamed once.
    for (auto& [leg_id, session] : sessions_) {
      if (!seen.contains(leg_id)) session->End();
    }
    pump_.expires_after(kPumpEvery);
    pump_.async_wait([this](beast::error_code ec) {
      if (!ec) Pump();
    });
  }

  const core::Simulator& sim_;
  const AudioHookOptions options_;
  Target target_;
  IdGenerator ids_{0x5eed};
  asio::io_context io_{1};
  asio::steady_timer pump_{io_};
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::thread thread_;
};

AudioHookStreams::AudioHookStreams(const core::Simulator& sim, AudioHookOptions options)
    : impl_(std::make_unique<Impl>(sim, std::move(options))) {}
AudioHookStreams::~AudioHookStreams() = default;
Status AudioHookStreams::Start() { return impl_->Start(); }
void AudioHookStreams::Stop() { impl_->Stop(); }

}  // namespace gcsim::http
