#include "audiohook.h"

// Boost 1.74's asio uses std::exchange without including <utility> (C++20 coroutine support).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "gcsim/common/ids.h"
#include "gcsim/common/strings.h"
#include "gcsim/common/time.h"

namespace gcsim::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

// How often the world is looked at: audio trails the clock by at most this much wall time.
constexpr auto kPumpEvery = std::chrono::milliseconds(20);
// While a leg is behind: a short pause, in which queued writes go out.
constexpr auto kPumpBehind = std::chrono::milliseconds(1);
constexpr int kSampleRate = 8000;
constexpr int kSamplesPerMs = kSampleRate / 1000;
constexpr int64_t kSamplesPerFrame = kSampleRate / 10;  // per channel, in 100 ms
// A leg more than a second behind (a manual clock advanced in a jump) catches up in frames of
// a second: ten times fewer messages for the same audio.
constexpr int64_t kSamplesPerCatchUpFrame = kSampleRate;
// A leg far behind catches up this much per look, so one leg cannot starve the others; looks
// follow each other at once while a leg is behind.
constexpr int64_t kMaxSamplesPerPump = 60 * kSampleRate;
// Messages queued on a socket and not yet written: past this a leg waits for its server (a
// slow server slows its own stream, not the others, and memory stays bounded).
constexpr size_t kMaxQueued = 200;
// A `ping` after every this much audio, as the protocol's client pings while it streams.
constexpr int64_t kSamplesPerPing = 5 * kSampleRate;
// A leg whose session could not connect, or lost its socket, gets a new one after this much
// simulator time.
constexpr Duration kRetryAfter = std::chrono::seconds(5);
// The server's messages are small JSON: a larger one ends the session.
constexpr size_t kMaxServerMessage = 64 * 1024;
// A server that does not answer the upgrade, or `open` with `opened`, is given up on after
// this (wall time).
constexpr auto kOpenTimeout = std::chrono::seconds(10);
// What a talking leg sounds like: a 400 Hz square wave, so that every sample of voice is
// loud and a detector can tell voice from silence to the sample.
constexpr int kVoiceHalfPeriod = kSampleRate / 400 / 2;  // samples
constexpr int16_t kVoiceAmplitude = 8000;

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

// The protocol's durations, of a number of samples: "PT12.300S".
std::string Position(int64_t samples) {
  char text[32];
  std::snprintf(text, sizeof text, "PT%.3fS", static_cast<double>(samples) / kSampleRate);
  return text;
}

// Problems with the AudioHook server never stop the simulator: they are told on stderr.
void Log(const std::string& message) {
  std::fprintf(stderr, "gcsim audiohook: %s\n", message.c_str());
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

// One AudioHook session: one leg's audio from the instant it opened, on the streams' thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `changed` is called whenever more of the session may have been delivered; `now` reads
  // the simulator's clock.
  Session(asio::io_context& io, const Target& target, const AudioHookOptions& options,
          LegInfo leg, std::string session_id, TimePoint origin, std::function<void()> changed,
          std::function<TimePoint()> now)
      : changed_(std::move(changed)),
        now_(std::move(now)),
        resolver_(io),
        ws_(io),
        target_(target),
        options_(options),
        leg_(std::move(leg)),
        id_(std::move(session_id)),
        origin_(origin) {}

  void Start() {
    beast::get_lowest_layer(ws_).expires_after(kOpenTimeout);
    resolver_.async_resolve(target_.host, target_.port,
                            [self = shared_from_this()](beast::error_code ec,
                                                        tcp::resolver::results_type results) {
                              if (ec) return self->Fail("cannot resolve", ec);
                              self->Connect(results);
                            });
  }

  // Audio may be sent: `opened` arrived, and neither side is closing.
  bool streaming() const { return open_ && !ending_ && !over(); }
  // Nothing more will happen on it: closed, failed or aborted.
  bool over() const { return failed_ || done_; }
  // Over without the closing exchange or a server's `disconnect`: worth a new session.
  bool broken() const { return failed_ && !final_; }
  // Whether the audio up to the instant `t` (its sample included) has been written to the
  // socket, or will never be: the session is over.
  bool Delivered(TimePoint t) const { return over() || (open_ && written_ > SamplesAt(t)); }
  bool congested() const { return outbox_.size() >= kMaxQueued; }
  const std::string& failure() const { return failure_; }
  TimePoint failed_at() const { return failed_at_; }

  // Where the audio of `leg` ends at `now`: the instant now, its sample included; for a leg
  // that left, the instant it left, its sample excluded (it is not heard then), so that a
  // server waiting for audio up to that instant waits for the `close` instead.
  int64_t AudioEnd(const core::Participant& leg, TimePoint now) const {
    return leg.end_time && *leg.end_time <= now ? SamplesAt(*leg.end_time) : SamplesAt(now) + 1;
  }
  // Whether the audio sent so far reaches `end` (samples).
  bool CaughtUp(int64_t end) const { return samples_ >= end; }

  // Sends the audio of `leg` from where it stopped up to the sample `end` (at most
  // kMaxSamplesPerPump at once), in frames of 100 ms (of a second while catching up), the last
  // one partial. While paused, it is discarded.
  void SendUntil(const core::Participant& leg, int64_t end) {
    const int64_t target = std::min(end, samples_ + kMaxSamplesPerPump);
    while (samples_ < target && !congested()) {
      const int64_t frame =
          target - samples_ > kSamplesPerCatchUpFrame ? kSamplesPerCatchUpFrame : kSamplesPerFrame;
      const int64_t count = std::min(frame, target - samples_);
      const int64_t start = samples_;
      samples_ += count;
      if (paused_) {
        Discarded();
      } else {
        SendFrame(leg, start, count);
      }
      if (start / kSamplesPerPing != samples_ / kSamplesPerPing) {
        Queue(Message("ping", json::object()).dump(), false);
      }
    }
  }

  // The leg is over: `close` once the audio so far is out, then `closed` ends the socket.
  void End() {
    if (ending_ || over()) return;
    ending_ = true;
    if (open_) Queue(Message("close", {{"reason", "end"}}).dump(), false);
  }

  // At once, without the closing exchange (gcsim is stopping).
  void Abort() {
    final_ = failed_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  int64_t SamplesAt(TimePoint t) const {
    return std::max<int64_t>(0, (t - origin_).count() * kSamplesPerMs);
  }

  // The samples [start, start + count) of `leg`.
  void SendFrame(const core::Participant& leg, int64_t start, int64_t count) {
    static const char kSilence = static_cast<char>(MuLaw(0));
    static const char kHigh = static_cast<char>(MuLaw(kVoiceAmplitude));
    static const char kLow = static_cast<char>(MuLaw(-kVoiceAmplitude));
    std::string frame(static_cast<size_t>(2 * count), kSilence);
    bool heard = false;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t sample = start + i;
      // Whether it is heard changes at most once a millisecond (the clock's resolution).
      if (i == 0 || sample % kSamplesPerMs == 0) {
        heard = core::HeardAt(leg, origin_ + Duration(sample / kSamplesPerMs));
      }
      if (heard) frame[static_cast<size_t>(2 * i)] = (sample / kVoiceHalfPeriod) % 2 ? kLow : kHigh;
    }
    Queue(std::move(frame), /*binary=*/true);
  }

  void Connect(const tcp::resolver::results_type& results) {
    beast::get_lowest_layer(ws_).async_connect(
        results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->Fail("cannot connect", ec);
          beast::error_code ignored;
          beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true), ignored);
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
    ws_.read_message_max(kMaxServerMessage);
    ws_.async_handshake(target_.host + ":" + target_.port, target_.path,
                        [self = shared_from_this()](beast::error_code ec) {
                          if (ec) return self->Fail("upgrade refused", ec);
                          // The deadline holds until `opened` comes (Handle).
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
            {"position", Position(samples_)},
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
      if (ec) return self->ending_ ? self->Finish() : self->Fail("connection lost", ec);
      const std::string text = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      try {
        if (self->Handle(text)) self->Read();
      } catch (const json::exception& e) {
        // A field of the wrong type: a server gcsim cannot follow, not a reason to stop.
        self->Fail("unreadable message from the server (" + std::string(e.what()) + "): " +
                   text.substr(0, 200));
      }
    });
  }

  // One message from the server; false once the socket is closing.
  bool Handle(const std::string& text) {
    const json message = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) {
      Log("session " + id_ + ": ignored a message that is not an AudioHook message: " +
          text.substr(0, 200));
      return true;
    }
    if (message.contains("seq") && message["seq"].is_number_integer()) {
      serverseq_ = message["seq"].get<int64_t>();
    }
    const std::string type = message["type"];
    if (type == "opened") {
      beast::get_lowest_layer(ws_).expires_never();
      open_ = true;
      changed_();
      paused_ = message.value("parameters", json::object()).value("startPaused", false);
      if (paused_) paused_at_ = samples_;
      if (ending_) Queue(Message("close", {{"reason", "end"}}).dump(), false);
    } else if (type == "pause" && !paused_) {
      paused_ = true;
      paused_at_ = samples_;
      Queue(Message("paused", json::object()).dump(), false);
    } else if (type == "resume" && paused_) {
      paused_ = false;
      Queue(Message("resumed", {{"start", Position(paused_at_)},
                                {"discarded", Position(samples_ - paused_at_)}})
                .dump(),
            false);
    } else if (type == "closed") {
      final_ = true;
      ws_.async_close(websocket::close_code::normal,
                      [self = shared_from_this()](beast::error_code) { self->Finish(); });
      return false;
    } else if (type == "disconnect") {
      // The server ends the session: close it as the protocol asks; no new session follows.
      Log(Join({"session ", id_, " (participant ", leg_.participant_id,
                "): the server disconnected: ", message.value("parameters", json()).dump()},
               ""));
      final_ = true;
      if (!ending_) {
        ending_ = true;
        Queue(Message("close", {{"reason", "disconnect"}}).dump(), false);
      }
    }
    // pong, and what gcsim does not model (update, event, reconnect): the audio goes on.
    return true;
  }

  // Each message carries the position it was queued at: once written, the audio up to there
  // is delivered.
  void Queue(std::string payload, bool binary) {
    if (over()) return;
    outbox_.push_back({std::move(payload), binary, samples_});
    if (outbox_.size() == 1) Write();
  }

  // Audio discarded while paused counts as delivered once what was queued before it is.
  void Discarded() {
    if (outbox_.empty()) {
      written_ = samples_;
    } else {
      outbox_.back().position = samples_;
    }
  }

  void Write() {
    ws_.binary(outbox_.front().binary);
    ws_.async_write(asio::buffer(outbox_.front().payload),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) return self->Fail("cannot send", ec);
                      self->written_ = std::max(self->written_, self->outbox_.front().position);
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) return self->Write();
                      self->changed_();
                    });
  }

  void Fail(const char* what, const beast::error_code& ec) {
    Fail(Join({what, ": ", ec.message()}, ""));
  }
  void Fail(std::string why) {
    if (over()) return;
    failed_ = true;
    failed_at_ = now_();
    failure_ = std::move(why);
    outbox_.clear();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    changed_();
  }
  void Finish() {
    done_ = true;
    outbox_.clear();
    changed_();
  }

  const std::function<void()> changed_;
  const std::function<TimePoint()> now_;
  TimePoint failed_at_;
  tcp::resolver resolver_;
  websocket::stream<beast::tcp_stream> ws_;
  const Target& target_;
  const AudioHookOptions& options_;
  const LegInfo leg_;
  const std::string id_;
  const TimePoint origin_;  // position 0
  int64_t samples_ = 0;     // per channel, sent or discarded: the position
  int64_t paused_at_ = 0;
  int64_t seq_ = 0;
  int64_t serverseq_ = 0;
  beast::flat_buffer in_;
  struct Outgoing {
    std::string payload;
    bool binary;
    int64_t position;  // samples_ when it was queued
  };
  std::deque<Outgoing> outbox_;
  int64_t written_ = 0;  // the position the messages written so far reach
  bool open_ = false;
  bool paused_ = false;
  bool ending_ = false;
  bool failed_ = false;
  bool final_ = false;  // ended by the protocol or by Abort(): no new session
  bool done_ = false;
  std::string failure_;
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
      for (auto& [leg, stream] : streams_) stream.session->Abort();
      io_.stop();
    });
    thread_.join();
  }

  bool Sync(std::chrono::milliseconds limit) {
    if (!thread_.joinable()) return false;
    TimePoint now;
    sim_.Read([&now](const core::WorldView& world) { now = world.now(); });
    std::unique_lock lock(sync_mu_);
    const uint64_t asked = ++syncs_asked_;
    sync_target_ = std::max(sync_target_, now);
    asio::post(io_, [this] { Pump(); });
    return synced_.wait_for(lock, limit, [&] { return syncs_done_ >= asked; });
  }

 private:
  // One leg's stream: its current session, and when it may have a new one after a failure.
  struct Stream {
    std::shared_ptr<Session> session;
    std::optional<TimePoint> retry_at;
    bool told = false;  // a failure of its sessions was told on stderr (once per leg)
    uint64_t seen_in_look = 0;  // the last look (Pump) that found its leg in the world
  };

  // Opens a session for each connected person's leg without one (on the timer, or for a
  // sync), sends each streaming session its audio up to the clock, ends the sessions of legs
  // that left, and gives broken sessions' legs new ones after kRetryAfter.
  void Pump() {
    uint64_t asked = 0;
    TimePoint target;
    {
      std::lock_guard lock(sync_mu_);
      asked = syncs_asked_;
      target = sync_target_;
    }
    const bool syncing = asked > syncs_done_seen_;
    const bool may_open = options_.open_on_timer || syncing;
    bool delivered = true;  // every leg's audio up to the sync's target is out
    bool behind = false;
    const uint64_t look = ++looks_;
    sim_.Read([&](const core::WorldView& world) {
      const TimePoint now = world.now();
      for (const core::Conversation* conv : world.ConversationsByStart()) {
        for (const core::Participant* leg : conv->participants) {
          if (!core::IsHuman(leg->purpose) || !leg->connected_time) continue;
          const bool live = leg->state == core::LegState::kConnected;
          auto it = streams_.find(leg->id);
          if (it == streams_.end()) {
            if (!live || !may_open) continue;
            it = streams_.emplace(leg->id, Stream{.session = Open(*conv, *leg, now)}).first;
          }
          Stream& stream = it->second;
          stream.seen_in_look = look;
          Session& session = *stream.session;
          if (session.broken() && live) {
            if (!stream.told) {
              Log("participant " + leg->id + ": " + session.failure() +
                  "; a new session in " + FormatDuration(kRetryAfter) + " of simulator time");
              stream.told = true;
            }
            if (!stream.retry_at) stream.retry_at = session.failed_at() + kRetryAfter;
            if (now >= *stream.retry_at && may_open) {
              stream = Stream{
                  .session = Open(*conv, *leg, now), .told = stream.told, .seen_in_look = look};
              if (*leg->connected_time <= target) delivered = false;
            }
            continue;
          }
          const int64_t end = session.AudioEnd(*leg, now);
          if (session.streaming()) session.SendUntil(*leg, end);
          const bool left = leg->end_time && *leg->end_time <= now;
          if (left && session.CaughtUp(end)) session.End();
          // A sync waits for the audio up to its instant, or, for a leg that left by then, for
          // the closing exchange.
          const bool left_by_target = leg->end_time && *leg->end_time <= target;
          if (*leg->connected_time <= target &&
              !(left_by_target ? session.over() : session.Delivered(target))) {
            delivered = false;
          }
          if (session.streaming() && !session.CaughtUp(end)) behind = true;
        }
      }
    });
    // Legs gone with a reset end their sessions. Ended sessions stay, so that a leg is
    // streamed once.
    for (auto& [leg_id, stream] : streams_) {
      if (stream.seen_in_look != look) stream.session->End();
    }
    if (syncing && delivered) {
      syncs_done_seen_ = asked;
      std::lock_guard lock(sync_mu_);
      syncs_done_ = asked;
      synced_.notify_all();
    }
    // While a sync waits on sessions, their changes wake the next look (Wake).
    SchedulePump(behind ? kPumpBehind : kPumpEvery);
  }

  // More of a session was delivered: while a sync waits, look again at once.
  void Wake() {
    {
      std::lock_guard lock(sync_mu_);
      if (syncs_asked_ <= syncs_done_seen_) return;
    }
    SchedulePump(std::chrono::milliseconds(0));
  }

  void SchedulePump(std::chrono::milliseconds after) {
    pump_.expires_after(after);
    pump_.async_wait([this](beast::error_code ec) {
      if (!ec) Pump();
    });
  }

  std::shared_ptr<Session> Open(const core::Conversation& conv, const core::Participant& leg,
                                TimePoint now) {
    auto session = std::make_shared<Session>(
        io_, target_, options_, LegInfo{leg.id, conv.id, leg.address.str(), leg.name.str(), core::ToString(leg.direction)},
        ids_.NextUuid(), now, [this] { Wake(); },
        [this] {
          TimePoint at;
          sim_.Read([&at](const core::WorldView& world) { at = world.now(); });
          return at;
        });
    session->Start();
    return session;
  }

  const core::Simulator& sim_;
  const AudioHookOptions options_;
  Target target_;
  IdGenerator ids_{0x5eed};
  asio::io_context io_{1};
  asio::steady_timer pump_{io_};
  std::map<std::string, Stream> streams_;
  uint64_t looks_ = 0;  // Pumps so far
  uint64_t syncs_done_seen_ = 0;  // the streams' thread's copy of syncs_done_
  std::mutex sync_mu_;            // guards syncs_asked_, sync_target_, syncs_done_
  TimePoint sync_target_;         // the clock's time at the latest Sync()
  std::condition_variable synced_;
  uint64_t syncs_asked_ = 0;
  uint64_t syncs_done_ = 0;
  std::thread thread_;
};

AudioHookStreams::AudioHookStreams(const core::Simulator& sim, AudioHookOptions options)
    : impl_(std::make_unique<Impl>(sim, std::move(options))) {}
AudioHookStreams::~AudioHookStreams() = default;
Status AudioHookStreams::Start() { return impl_->Start(); }
void AudioHookStreams::Stop() { impl_->Stop(); }
bool AudioHookStreams::Sync(std::chrono::milliseconds limit) { return impl_->Sync(limit); }

}  // namespace gcsim::http
