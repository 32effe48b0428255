#include "channel_sockets.h"

// Boost 1.74's asio uses std::exchange without including <utility> (C++20 coroutine support).
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <thread>
#include <vector>

#include "gcsim/core/api_errors.h"
#include "exchange.h"

namespace gcsim::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

// How often the hub looks at the world: events trail a change by at most this much wall time.
constexpr auto kPumpEvery = std::chrono::milliseconds(20);
// A client that connects and never completes its upgrade request is closed after this.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
// What a client may send (the service only answers pings).
constexpr size_t kMaxClientMessage = 64 * 1024;
// A client that stops reading is closed rather than buffered for without end: past this many
// events queued, or bytes (an event carries its conversation: a megabyte for 2,000 legs).
constexpr size_t kMaxQueuedEvents = 10'000;
constexpr size_t kMaxQueuedBytes = size_t{16} << 20;
constexpr std::string_view kChannelsPrefix = "/channels/";

// One socket on one channel. Lives on the sockets' thread; the hub reaches it through posted
// callbacks that hold it weakly.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Notifications& hub,
          const ChannelSockets::CorrelationIds& correlation_ids)
      : ws_(std::move(socket)), hub_(hub), correlation_ids_(correlation_ids) {}
  ~Session() {
    if (session_) hub_.Detach(channel_id_, session_);
  }

  void Start() {
    beast::get_lowest_layer(ws_).expires_after(kHandshakeTimeout);
    bhttp::async_read(ws_.next_layer(), buffer_, request_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (!ec) self->OnUpgradeRequest();
                      });
  }

  void Send(std::string text) {
    if (closing_) return;
    if (outbox_.size() >= kMaxQueuedEvents ||
        (!outbox_.empty() && queued_bytes_ + text.size() > kMaxQueuedBytes)) {
      Close();
      return;
    }
    queued_bytes_ += text.size();
    outbox_.push_back(std::move(text));
    if (accepted_ && outbox_.size() == 1) Write();
  }

  // A normal close once what is queued has been written.
  void Close() {
    if (closing_) return;
    closing_ = true;
    if (accepted_ && outbox_.empty()) SendClose();
  }

  // At once, without a closing handshake (the server is stopping).
  void Abort() {
    closing_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  void OnUpgradeRequest() {
    const std::string_view target(request_.target().data(), request_.target().size());
    if (!websocket::is_upgrade(request_)) {
      Refuse(bhttp::status::bad_request, "Expected a WebSocket upgrade request.");
      return;
    }
    if (target.substr(0, kChannelsPrefix.size()) == kChannelsPrefix) {
      channel_id_ = std::string(target.substr(kChannelsPrefix.size()));
    }
    const std::weak_ptr<Session> weak = weak_from_this();
    const auto executor = ws_.get_executor();
    auto session = hub_.Attach(
        channel_id_,
        [weak, executor](std::string text) {
          asio::post(executor, [weak, text = std::move(text)]() mutable {
            if (auto self = weak.lock()) self->Send(std::move(text));
          });
        },
        [weak, executor] {
          asio::post(executor, [weak] {
            if (auto self = weak.lock()) self->Close();
          });
        });
    if (!session) {
      std::string why = "Channel ";
      why += channel_id_;
      why += " was not found (it may have expired); connect to the connectUri of a channel.";
      Refuse(bhttp::status::not_found, why);
      return;
    }
    session_ = *session;
    beast::get_lowest_layer(ws_).expires_never();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(kMaxClientMessage);
    ws_.async_accept(request_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->accepted_ = true;
      if (!self->outbox_.empty()) {
        self->Write();
      } else if (self->closing_) {
        self->SendClose();
      }
      self->Read();
    });
  }

  void Refuse(bhttp::status status, const std::string& why) {
    auto response = std::make_shared<bhttp::response<bhttp::string_body>>(status, request_.version());
    const std::string correlation_id = correlation_ids_();
    response->set(bhttp::field::content_type, "application/json");
    response->set("ININ-Correlation-Id", correlation_id);
    response->body() =
        ErrorBody(core::ApiStatus(status == bhttp::status::not_found ? core::codes::kNotFound
                                                                     : core::codes::kBadRequest,
                                  why),
                  correlation_id)
            .dump();
    response->keep_alive(false);
    response->prepare_payload();
    bhttp::async_write(ws_.next_layer(), *response,
                       [self = shared_from_this(), response](beast::error_code, size_t) {
                         beast::error_code ignored;
                         self->ws_.next_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
                       });
  }

  void Read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;  // closed or broken: the session ends with its last handler
      std::string text = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      if (auto answer = self->hub_.Answer(text)) {
        // The pong follows every event up to this moment of the simulator's clock: the hub
        // looks at the world first, and its messages are posted ahead of the answer.
        self->hub_.Pump();
        asio::post(self->ws_.get_executor(), [self, answer = std::move(*answer)]() mutable {
          self->Send(std::move(answer));
        });
      }
      self->Read();
    });
  }

  void Write() {
    ws_.text(true);
    ws_.async_write(asio::buffer(outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) return;
                      self->queued_bytes_ -= self->outbox_.front().size();
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty()) {
                        self->Write();
                      } else if (self->closing_) {
                        self->SendClose();
                      }
                    });
  }

  void SendClose() {
    ws_.async_close(websocket::close_code::normal,
                    [self = shared_from_this()](beast::error_code) {});
  }

  websocket::stream<beast::tcp_stream> ws_;
  Notifications& hub_;
  const ChannelSockets::CorrelationIds correlation_ids_;
  beast::flat_buffer buffer_;
  beast::flat_buffer in_;
  bhttp::request<bhttp::string_body> request_;
  std::deque<std::string> outbox_;
  size_t queued_bytes_ = 0;  // of outbox_
  std::string channel_id_;
  uint64_t session_ = 0;
  bool accepted_ = false;
  bool closing_ = false;
};

}  // namespace

class ChannelSockets::Impl {
 public:
  Impl(Notifications& hub, std::string host, CorrelationIds correlation_ids)
      : hub_(hub), host_(std::move(host)), correlation_ids_(std::move(correlation_ids)) {}
  ~Impl() { Stop(); }

  Result<int> Start() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(host_, ec);
    if (ec) return InvalidArgumentError("notification sockets: bad address " + host_);
    const tcp::endpoint endpoint(address, 0);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return UnavailableError("notification sockets: cannot listen on " + host_ + ": " + ec.message());
    const int port = acceptor_.local_endpoint().port();
    Accept();
    Pump();
    thread_ = std::thread([this] { io_.run(); });
    return port;
  }

  void Stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      pump_.cancel();
      for (const auto& weak : sessions_) {
        if (auto session = weak.lock()) session->Abort();
      }
      io_.stop();
    });
    thread_.join();
  }

 private:
  void Accept() {
    acceptor_.async_accept(io_, [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::erase_if(sessions_, [](const std::weak_ptr<Session>& weak) { return weak.expired(); });
        auto session = std::make_shared<Session>(std::move(socket), hub_, correlation_ids_);
        sessions_.push_back(session);
        session->Start();
      }
      Accept();
    });
  }

  void Pump() {
    hub_.Pump();
    pump_.expires_after(kPumpEvery);
    pump_.async_wait([this](beast::error_code ec) {
      if (!ec) Pump();
    });
  }

  Notifications& hub_;
  const std::string host_;
  const CorrelationIds correlation_ids_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  asio::steady_timer pump_{io_};
  std::vector<std::weak_ptr<Session>> sessions_;
  std::thread thread_;
};

ChannelSockets::ChannelSockets(Notifications& hub, std::string host, CorrelationIds correlation_ids)
    : impl_(std::make_unique<Impl>(hub, std::move(host), std::move(correlation_ids))) {}
ChannelSockets::~ChannelSockets() = default;
Result<int> ChannelSockets::Start() { return impl_->Start(); }
void ChannelSockets::Stop() { impl_->Stop(); }

}  // namespace gcsim::http
