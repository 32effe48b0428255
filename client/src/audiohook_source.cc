#include "gcsim/client/audiohook_source.h"

// Boost 1.74's asio uses std::exchange without including <utility> (C++20 coroutine support).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "gcsim/common/strings.h"

namespace gcsim::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

constexpr int kSamplesPerMs = 8;          // PCMU at 8 kHz
constexpr int kBlock = 20 * kSamplesPerMs;  // voice activity is judged per 20 ms
// A connection that does not finish its upgrade in this long is closed.
constexpr auto kUpgradeTimeout = std::chrono::seconds(10);
// The largest message read: a second of two-channel audio is 16 KB.
constexpr size_t kMaxMessage = 1 << 20;
// A connection silent this long (a client pings every few seconds) is closed, as the sweep
// every kSweepEvery finds it. One timer for all: a timer per message costs more than the audio.
constexpr auto kIdleLimit = std::chrono::seconds(60);
constexpr auto kSweepEvery = std::chrono::seconds(10);

int16_t DecodeMuLaw(uint8_t value) {
  value = static_cast<uint8_t>(~value);
  const int exponent = (value >> 4) & 0x07;
  const int magnitude = (((value & 0x0F) << 3) + 0x84) << exponent;
  return static_cast<int16_t>((value & 0x80) ? 0x84 - magnitude : magnitude - 0x84);
}

// The energy (square) of each PCMU byte's sample.
const std::array<double, 256> kEnergy = [] {
  std::array<double, 256> energy{};
  for (int byte = 0; byte < 256; ++byte) {
    const double sample = DecodeMuLaw(static_cast<uint8_t>(byte));
    energy[static_cast<size_t>(byte)] = sample * sample;
  }
  return energy;
}();

// The protocol's durations ("PT12.345S") in samples; nullopt when unreadable.
std::optional<int64_t> SamplesOf(const json& position) {
  if (!position.is_string()) return std::nullopt;
  const std::string text = position.get<std::string>();
  if (text.size() < 4 || text.rfind("PT", 0) != 0 || text.back() != 'S') return std::nullopt;
  const std::string number = text.substr(2, text.size() - 3);
  char* end = nullptr;
  const double seconds = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !(seconds >= 0) || seconds > 1e9) {
    return std::nullopt;
  }
  return static_cast<int64_t>(seconds * 1000 * kSamplesPerMs + 0.5);
}

// What one session has told of its leg.
struct Stream {
  uint64_t connection = 0;  // the connection it came on: a newer session replaces it
  std::string conversation_id;
  TimePoint origin;   // the clock's time at position 0
  int channels = 2;   // interleaved in each audio frame
  int external = 0;   // the index of the "external" channel: the leg
  int64_t start = 0;  // position where its audio began (samples)
  int64_t samples = 0;  // position the audio received reaches (samples per channel)
  std::optional<int64_t> voice_end;  // where its last block with voice ended
  double block_energy = 0;            // the block under way: sum of squares
  int block_samples = 0;
};

}  // namespace

class AudioHookActivitySource::Impl {
 public:
  Impl(Clock& clock, AudioHookActivitySourceOptions options)
      : clock_(clock),
        options_(std::move(options)),
        threshold_energy_(options_.voice_threshold * options_.voice_threshold),
        hangover_samples_(options_.hangover.count() * kSamplesPerMs) {}
  ~Impl() { Stop(); }

  Status Start() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(options_.listen_host, ec);
    if (ec) return InvalidArgumentError("audiohook: cannot read address " + options_.listen_host);
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.listen_port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return UnavailableError(Join({"audiohook: cannot listen on ", options_.listen_host, ":",
                                    std::to_string(options_.listen_port), ": ", ec.message()},
                                   ""));
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    Sweep();
    thread_ = std::thread([this] { io_.run(); });
    return Status::Ok();
  }

  void Stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      sweep_.cancel();
      io_.stop();
    });
    thread_.join();
  }

  int port() const { return port_; }

  Stats stats() const {
    std::lock_guard lock(mu_);
    return {.sessions = streams_.size(), .audio = Duration(samples_received_ / kSamplesPerMs)};
  }

  std::vector<Candidate> Candidates(TimePoint now, Duration idle_timeout) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, options_.sync_timeout, [&] {
      for (const auto& [pid, stream] : streams_) {
        if (!Reaches(stream, now)) return false;
      }
      return true;
    });
    std::vector<Candidate> candidates;
    for (const auto& [pid, stream] : streams_) {
      const std::optional<TimePoint> since = SilentSinceLocked(stream, now);
      if (since && now - *since >= idle_timeout) {
        // The purpose is the reaper's to read, when it confirms the leg on its conversation.
        candidates.push_back({stream.conversation_id, pid, "", *since});
      }
    }
    return candidates;
  }

  std::optional<TimePoint> SilentSince(const std::string& cid, const std::string& pid,
                                       TimePoint now) {
    std::unique_lock lock(mu_);
    const auto found = [&] {
      const auto it = streams_.find(pid);
      return it != streams_.end() && it->second.conversation_id == cid ? &it->second : nullptr;
    };
    changed_.wait_for(lock, options_.sync_timeout, [&] {
      const Stream* stream = found();
      return stream == nullptr || Reaches(*stream, now);
    });
    const Stream* stream = found();
    return stream ? SilentSinceLocked(*stream, now) : std::nullopt;
  }

 private:
  class Connection;

  // Whether the audio received reaches the instant `now`, its sample included.
  static bool Reaches(const Stream& stream, TimePoint now) {
    return stream.samples > (now - stream.origin).count() * kSamplesPerMs;
  }

  // Silent since the later of the start of its audio and the end of its last voice plus the
  // hangover; nullopt when the audio received does not reach `now` or the block under way
  // holds voice.
  std::optional<TimePoint> SilentSinceLocked(const Stream& stream, TimePoint now) const {
    if (!Reaches(stream, now)) return std::nullopt;
    if (stream.block_samples > 0 &&
        stream.block_energy / stream.block_samples > threshold_energy_) {
      return std::nullopt;
    }
    int64_t quiet_from = stream.start;
    if (stream.voice_end) quiet_from = std::max(quiet_from, *stream.voice_end + hangover_samples_);
    // Rounded up to the millisecond: never earlier than the audio says.
    return stream.origin + Duration((quiet_from + kSamplesPerMs - 1) / kSamplesPerMs);
  }

  // `open`: a new session for the leg it names (replacing any older one). False when it names
  // no leg.
  bool Open(uint64_t connection, const json& message) {
    const json parameters = message.value("parameters", json::object());
    const json participant = parameters.value("participant", json::object());
    const std::string pid = participant.is_object() ? participant.value("id", "") : "";
    const std::string cid = parameters.value("conversationId", "");
    const std::optional<int64_t> position = SamplesOf(message.value("position", json()));
    if (pid.empty() || cid.empty() || !position) return false;
    Stream stream{.connection = connection,
                  .conversation_id = cid,
                  .origin = clock_.Now() - Duration(*position / kSamplesPerMs),
                  .start = *position,
                  .samples = *position};
    const json media = parameters.value("media", json::array());
    if (media.is_array() && !media.empty() && media[0].is_object()) {
      const json channels = media[0].value("channels", json::array());
      if (channels.is_array() && !channels.empty()) {
        stream.channels = static_cast<int>(channels.size());
        for (size_t i = 0; i < channels.size(); ++i) {
          if (channels[i] == "external") stream.external = static_cast<int>(i);
        }
      }
    }
    std::lock_guard lock(mu_);
    streams_[pid] = std::move(stream);
    connections_[connection] = pid;
    changed_.notify_all();
    return true;
  }

  // A binary frame: the samples of each channel, interleaved.
  void Audio(uint64_t connection, const std::string& frame) {
    std::lock_guard lock(mu_);
    Stream* stream = StreamOf(connection);
    if (stream == nullptr) return;
    const size_t stride = static_cast<size_t>(stream->channels);
    for (size_t i = static_cast<size_t>(stream->external); i < frame.size(); i += stride) {
      stream->block_energy += kEnergy[static_cast<uint8_t>(frame[i])];
      ++stream->samples;
      ++samples_received_;
      if (++stream->block_samples == kBlock) {
        if (stream->block_energy / kBlock > threshold_energy_) stream->voice_end = stream->samples;
        stream->block_energy = 0;
        stream->block_samples = 0;
      }
    }
    changed_.notify_all();
  }

  // Audio the client did not send (`resumed` or `discarded`): what it held is unknown, so it
  // counts as voice.
  void Skipped(uint64_t connection, const json& parameters) {
    const std::optional<int64_t> start = SamplesOf(parameters.value("start", json()));
    const std::optional<int64_t> discarded = SamplesOf(parameters.value("discarded", json()));
    std::lock_guard lock(mu_);
    Stream* stream = StreamOf(connection);
    if (stream == nullptr || !start || !discarded) return;
    stream->samples = std::max(stream->samples, *start + *discarded);
    stream->voice_end = stream->samples;
    stream->block_energy = 0;
    stream->block_samples = 0;
    changed_.notify_all();
  }

  // The session is over (closed, or its socket went): its leg is no longer watched.
  void Ended(uint64_t connection) {
    std::lock_guard lock(mu_);
    const auto it = connections_.find(connection);
    if (it == connections_.end()) return;
    const auto stream = streams_.find(it->second);
    if (stream != streams_.end() && stream->second.connection == connection) {
      streams_.erase(stream);
    }
    connections_.erase(it);
    changed_.notify_all();
  }

  Stream* StreamOf(uint64_t connection) {
    const auto it = connections_.find(connection);
    if (it == connections_.end()) return nullptr;
    const auto stream = streams_.find(it->second);
    return stream != streams_.end() && stream->second.connection == connection ? &stream->second
                                                                                : nullptr;
  }

  void Accept();  // after Connection
  void Sweep();   // after Connection

  Clock& clock_;
  // Sockets idle out in wall time, whichever clock the silence is measured on.
  RealClock wall_;
  const AudioHookActivitySourceOptions options_;
  const double threshold_energy_;
  const int64_t hangover_samples_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  int port_ = 0;
  uint64_t connection_count_ = 0;  // the server thread's only
  std::map<uint64_t, std::weak_ptr<Connection>> live_;  // the server thread's only
  asio::steady_timer sweep_{io_};
  std::thread thread_;

  mutable std::mutex mu_;  // guards what the server thread writes
  std::condition_variable changed_;
  std::map<std::string, Stream> streams_;          // by participant id
  std::map<uint64_t, std::string> connections_;    // connection -> participant id
  int64_t samples_received_ = 0;
};

// One AudioHook connection: the upgrade (X-API-KEY checked), then the protocol's server side.
class AudioHookActivitySource::Impl::Connection
    : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& owner, tcp::socket socket, uint64_t serial)
      : owner_(owner), ws_(std::move(socket)), serial_(serial) {}

  // Closes the socket when nothing came for kIdleLimit; false once it is gone.
  bool CloseIfIdle(TimePoint now) {
    if (now - last_heard_ < kIdleLimit) return true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return false;
  }

  void Start() {
    beast::get_lowest_layer(ws_).expires_after(kUpgradeTimeout);
    http::async_read(ws_.next_layer(), buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return;
                       self->Upgrade();
                     });
  }

 private:
  void Upgrade() {
    const std::string& key = owner_.options_.api_key;
    if (!websocket::is_upgrade(request_) || (!key.empty() && request_["X-API-KEY"] != key)) {
      auto response = std::make_shared<http::response<http::string_body>>(
          websocket::is_upgrade(request_) ? http::status::unauthorized : http::status::bad_request,
          request_.version());
      response->set(http::field::content_type, "text/plain");
      response->body() = websocket::is_upgrade(request_) ? "X-API-KEY does not match\n"
                                                         : "an AudioHook WebSocket upgrade is expected\n";
      response->keep_alive(false);
      response->prepare_payload();
      http::async_write(ws_.next_layer(), *response,
                        [self = shared_from_this(), response](beast::error_code, size_t) {
                          beast::error_code ignored;
                          self->ws_.next_layer().socket().shutdown(tcp::socket::shutdown_both,
                                                                   ignored);
                        });
      return;
    }
    beast::get_lowest_layer(ws_).expires_never();
    ws_.read_message_max(kMaxMessage);
    ws_.set_option(websocket::stream_base::timeout{.handshake_timeout = kUpgradeTimeout,
                                                   .idle_timeout = websocket::stream_base::none(),
                                                   .keep_alive_pings = false});
    ws_.async_accept(request_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->Read();
    });
  }

  void Read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->owner_.Ended(self->serial_);
      self->last_heard_ = self->owner_.wall_.Now();
      std::string payload = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      if (self->ws_.got_binary()) {
        self->owner_.Audio(self->serial_, payload);
      } else {
        try {
          self->Handle(payload);
        } catch (const json::exception& e) {
          // A field of the wrong type: the session ends, the server goes on.
          self->owner_.Ended(self->serial_);
          self->Send("disconnect", {{"reason", "error"}, {"info", e.what()}});
          return;
        }
      }
      self->Read();
    });
  }

  void Handle(const std::string& text) {
    const json message = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) return;
    if (message.contains("seq") && message["seq"].is_number_integer()) {
      client_seq_ = message["seq"].get<int64_t>();
    }
    if (!message.contains("id") || !message["id"].is_string()) return;
    id_ = message["id"].get<std::string>();
    const std::string type = message["type"];
    const json parameters = message.value("parameters", json::object());
    if (type == "open") {
      if (!owner_.Open(serial_, message)) {
        return Send("disconnect", {{"reason", "error"},
                                   {"info", "open names no conversationId, participant or position"}});
      }
      json media = parameters.value("media", json::array());
      if (media.is_array() && media.size() > 1) media = json::array({media[0]});
      Send("opened", {{"media", media}});
    } else if (type == "ping") {
      Send("pong", json::object());
    } else if (type == "resumed" || type == "discarded") {
      owner_.Skipped(serial_, parameters);
    } else if (type == "close") {
      owner_.Ended(serial_);
      Send("closed", json::object());
    }
  }

  void Send(const char* type, json parameters) {
    const json message = {{"version", "2"},  {"type", type},         {"seq", ++seq_},
                          {"clientseq", client_seq_}, {"id", id_}, {"parameters", std::move(parameters)}};
    outbox_.push_back(message.dump());
    if (outbox_.size() == 1) Write();
  }

  void Write() {
    ws_.text(true);
    ws_.async_write(asio::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) return;
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) self->Write();
                    });
  }

  Impl& owner_;
  websocket::stream<beast::tcp_stream> ws_;
  TimePoint last_heard_ = owner_.wall_.Now();
  const uint64_t serial_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  beast::flat_buffer in_;
  std::deque<std::string> outbox_;
  std::string id_;
  int64_t seq_ = 0;
  int64_t client_seq_ = 0;
};

void AudioHookActivitySource::Impl::Accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // the acceptor closed
    auto connection = std::make_shared<Connection>(*this, std::move(socket), ++connection_count_);
    live_[connection_count_] = connection;
    connection->Start();
    Accept();
  });
}

void AudioHookActivitySource::Impl::Sweep() {
  const TimePoint now = wall_.Now();
  std::erase_if(live_, [now](const auto& entry) {
    const std::shared_ptr<Connection> connection = entry.second.lock();
    return !connection || !connection->CloseIfIdle(now);
  });
  sweep_.expires_after(kSweepEvery);
  sweep_.async_wait([this](beast::error_code ec) {
    if (!ec) Sweep();
  });
}

AudioHookActivitySource::AudioHookActivitySource(Clock& clock,
                                                 AudioHookActivitySourceOptions options)
    : impl_(std::make_unique<Impl>(clock, std::move(options))) {}
AudioHookActivitySource::~AudioHookActivitySource() = default;
Status AudioHookActivitySource::Start() { return impl_->Start(); }
int AudioHookActivitySource::port() const { return impl_->port(); }
AudioHookActivitySource::Stats AudioHookActivitySource::stats() const { return impl_->stats(); }

Result<std::vector<Candidate>> AudioHookActivitySource::Candidates(TimePoint now,
                                                                  Duration idle_timeout) {
  return impl_->Candidates(now, idle_timeout);
}

Result<std::optional<TimePoint>> AudioHookActivitySource::SilentSince(
    const std::string& conversation_id, const std::string& participant_id, TimePoint now) {
  return impl_->SilentSince(conversation_id, participant_id, now);
}

}  // namespace gcsim::client
