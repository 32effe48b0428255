// The one place the simulator meets cpp-httplib: every request goes through Handle(), which
// routes it, checks credentials, budget, path ids and body, runs the route's handler and adds the
// headers every Genesys response carries.
#include "gcsim/http/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "audiohook.h"
#include "channel_sockets.h"
#include "connections.h"
#include "control_plane.h"
#include "exchange.h"
#include "gcsim/common/ids.h"
#include "gcsim/common/json.h"
#include "gcsim/common/routes.h"
#include "gcsim/common/strings.h"
#include "gcsim/core/api_errors.h"
#include "genesys_routes.h"
#include "notifications.h"
#include "router.h"
#include "ui/ui_routes.h"

namespace gcsim::http {

// cpp-httplib's parsing and answering of one request from a stream. gcsim runs the keep-alive
// loop itself (Connections::Serve) and calls this private member by its exported name.
// clang-format off
bool LibraryServeRequest(httplib::Server* server, httplib::Stream& stream, bool close_connection,
                         bool& connection_closed,
                         const std::function<void(httplib::Request&)>& setup_request)
    __asm__("_ZN7httplib6Server15process_requestERNS_6StreamEbRbRKSt8functionIFvRNS_7RequestEEE");
// clang-format on

namespace {

using nlohmann::json;
namespace codes = core::codes;

constexpr char kCorrelationHeader[] = "ININ-Correlation-Id";
// What the Keep-Alive header says of the requests a connection may serve: gcsim never closes one
// for their number (with cpp-httplib's default of 5, clients reconnected constantly).
constexpr size_t kKeepAliveMaxCount = 1'000'000'000;
// What the rate headers say for a request charged to no client.
constexpr int kUnchargedResetSeconds = 60;
// What one journal entry keeps of what a request sent: a body naming 50,000 unknown fields
// must not cost the journal a megabyte per entry, 100,000 entries over.
constexpr size_t kJournalFieldsKept = 50;
constexpr size_t kJournalTextBytes = 2048;

bool IsAllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Methods cpp-httplib reads a body for; without Content-Length or Transfer-Encoding it reads
// until the client closes the connection.
bool ReadsBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" ||
         method == "PRI";
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// application/json, with or without parameters such as charset.
bool IsJsonContentType(std::string_view content_type) {
  return AsciiLower(Trim(content_type.substr(0, content_type.find(';')))) == "application/json";
}

// Whether a header's comma-separated values (in any of its lines) hold `token`, in any case.
bool HasToken(const httplib::Request& req, const char* header, std::string_view token) {
  const auto [first, last] = req.headers.equal_range(header);
  for (auto it = first; it != last; ++it) {
    std::string_view values = it->second;
    while (!values.empty()) {
      const size_t comma = values.find(',');
      if (AsciiLower(Trim(values.substr(0, comma))) == token) return true;
      values.remove_prefix(comma == std::string_view::npos ? values.size() : comma + 1);
    }
  }
  return false;
}

// Whether the connection closes after this response: the client asked (HTTP/1.0 unless it asked
// to keep it), gcsim's answer says so, or the body was chunked (cpp-httplib 0.11 accepts a
// chunked body that lacks its last chunk, so what follows cannot be trusted to be a request).
bool ClosesAfter(const httplib::Request& req, const httplib::Response& res) {
  return HasToken(req, "Connection", "close") ||
         (req.version == "HTTP/1.0" && !HasToken(req, "Connection", "keep-alive")) ||
         AsciiLower(res.get_header_value("Connection")) == "close" ||
         req.has_header("Transfer-Encoding");
}

// For errors cpp-httplib answers by itself, before any handler runs.
Status StatusForHttpError(int http_status, size_t max_body_bytes) {
  switch (http_status) {
    case 413:
      return core::ApiStatus(codes::kTooLarge, "The request body is larger than the limit of " +
                                                   std::to_string(max_body_bytes) + " bytes.");
    case 414:
      return core::ApiStatus(codes::kBadRequest, "The request URI is too long.");
    case 408:
      return core::ApiStatus(codes::kBadRequest,
                             "The request did not arrive whole in time; the connection is "
                             "closed.");
    case 431:
      return core::ApiStatus(codes::kBadRequest, "The request line and headers are larger than " +
                                                     std::to_string(kMaxRequestHeadBytes / 1024) +
                                                     " KiB; the connection is closed.");
    case 416:
      return core::ApiStatus(codes::kBadRequest,
                             "The Range header could not be parsed. gcsim answers every request "
                             "whole, as the API does: send it without Range.");
    default:
      if (http_status >= 500) return core::ApiStatus(codes::kInternal);
      return core::ApiStatus(codes::kBadRequest, "The request could not be parsed as HTTP/1.1.");
  }
}

class HttpServer final : public httplib::Server {
 public:
  explicit HttpServer(Connections& connections, std::function<std::string()> refusal_body)
      : connections_(connections), refusal_body_(std::move(refusal_body)) {}

 private:
  // The one way cpp-httplib hands over an accepted connection.
  bool process_and_close_socket(socket_t sock) override {
    connections_.Serve(
        sock,
        [this](httplib::Stream& stream, bool& connection_closed) {
          return LibraryServeRequest(this, stream, /*close_connection=*/false, connection_closed,
                                     nullptr);
        },
        refusal_body_);
    return true;
  }

  Connections& connections_;
  std::function<std::string()> refusal_body_;
};

// Serves numbered requests in their order (ServerOptions::order_requests).
class RequestOrder {
 public:
  static std::optional<uint64_t> NumberOf(const httplib::Request& req) {
    const std::optional<long long> number = ParseInteger(req.get_header_value("X-Gcsim-Order"));
    if (!number || *number < 0) return std::nullopt;
    return static_cast<uint64_t>(*number);
  }
  void Enter(uint64_t number) {
    std::unique_lock lock(mu_);
    // A number that never comes (its request lost on the way) would hold every later one: a
    // second is ample for a request sent at the same time to arrive. Wall time: a guard.
    turn_.wait_for(lock, std::chrono::seconds(1), [&] { return number <= served_ + 1; });
  }
  void Leave(uint64_t number) {
    std::lock_guard lock(mu_);
    served_ = std::max(served_, number);
    turn_.notify_all();
  }

  // A request's turn: waited for when made, given up when destroyed, even by an exception.
  class Turn {
   public:
    Turn(RequestOrder& order, std::optional<uint64_t> number) : order_(order), number_(number) {
      if (number_) order_.Enter(*number_);
    }
    ~Turn() {
      if (number_) order_.Leave(*number_);
    }
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;

   private:
    RequestOrder& order_;
    const std::optional<uint64_t> number_;
  };

 private:
  std::mutex mu_;
  std::condition_variable turn_;
  uint64_t served_ = 0;  // the highest number answered
};

// Workers beyond max_connections, so that connections past the limit are still answered (503).
constexpr size_t kRefusalWorkers = 32;

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(ServerOptions options)
      : options_(std::move(options)),
        sim_(*options_.simulator),
        connections_({.max_connections = options_.max_connections,
                      .keep_alive_timeout = options_.keep_alive_timeout,
                      .request_timeout = options_.request_timeout}),
        http_(connections_, [this] { return RefusalBody(); }),
        correlation_ids_(options_.seed ^ 0xc0'44e1'a710'0000ULL),
        notifications_(sim_, options_.seed),
        channel_sockets_(notifications_, options_.host, [this] { return NextCorrelationId(); }) {
    AddGenesysRoutes(router_, sim_);
    AddNotificationRoutes(router_, notifications_);
    AddControlRoutes(router_, ControlPlane{.simulator = options_.simulator,
                                           .manual_clock = options_.manual_clock,
                                           .initial_world = std::move(options_.initial_world),
                                           .on_reset = [this] { ForgetWhatClientsKnew(); }});
    AddUiRoutes(router_, sim_, options_.manual_clock != nullptr);

    http_.set_tcp_nodelay(true);
    // cpp-httplib's default sets SO_REUSEPORT, which lets a second gcsim share a busy port
    // silently; SO_REUSEADDR alone still allows a quick restart and reports a port in use.
    http_.set_socket_options([this](socket_t sock) {
      const int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_socket_ = sock;
    });
    http_.set_keep_alive_max_count(kKeepAliveMaxCount);
    http_.set_keep_alive_timeout(options_.keep_alive_timeout.count());
    http_.set_payload_max_length(options_.max_body_bytes);
    http_.new_task_queue = [this] {
      return new WorkerPool(options_.threads, options_.max_connections + kRefusalWorkers);
    };
    // Every answer says what becomes of its connection (cpp-httplib reads the Connection header
    // by its own, narrower rules, and would offer keep-alive on an answer gcsim closes after).
    http_.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      const bool closes = ClosesAfter(req, res);
      res.headers.erase("Connection");
      if (closes) {
        res.set_header("Connection", "close");
        res.headers.erase("Keep-Alive");
      } else if (req.version == "HTTP/1.0") {
        res.set_header("Connection", "keep-alive");
      }
    });
    // A body past the limit is refused before the client sends it.
    http_.set_expect_100_continue_handler(
        [this](const httplib::Request& req, httplib::Response& res) {
          if (AnnouncesTooLargeBody(req)) {
            res.status = 413;  // the library answers it, through RenderHttpError
          }
          return res.status == 413 ? 413 : 100;
        });
    // After each response (its Connection header set above): the deadline for the
    // connection's next request starts, or the connection closes.
    http_.set_logger([this](const httplib::Request&, const httplib::Response& res) {
      connections_.ResponseSent(res.get_header_value("Connection") == "close");
    });

    // Every method reaches Handle(), which owns routing, so that 404 and 405 are ErrorBodies.
    const auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res, req.body);
    };
    // Methods with a body read it themselves, within max_body_bytes (ReadBodyAndHandle).
    const httplib::Server::HandlerWithContentReader read_and_handle =
        [this](const httplib::Request& req, httplib::Response& res,
               const httplib::ContentReader& reader) { ReadBodyAndHandle(req, res, reader); };
    http_.Get(".*", handle);
    http_.Post(".*", read_and_handle);
    http_.Put(".*", read_and_handle);
    http_.Patch(".*", read_and_handle);
    http_.Delete(".*", read_and_handle);
    http_.Options(".*", handle);
    http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return SettleFraming(req, res);
    });
    http_.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          return RenderHttpError(req, res);
        }));
    http_.set_exception_handler(
        [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
          Exchange ex = NewExchange(req);
          res.headers.clear();
          Respond(ErrorReply(ex, InternalError("unexpected error while answering")), ex,
                  std::nullopt, res);
        });
  }

  ~ServerImpl() override { Stop(); }

  Result<int> Start() override {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) return FailedPreconditionError("the server was already started");
    // cpp-httplib writes without MSG_NOSIGNAL: a peer that is gone (or a reset fault) would
    // end the process with SIGPIPE instead of failing the write.
    std::signal(SIGPIPE, SIG_IGN);
    errno = 0;
    int port = options_.port;
    if (port == 0) {
      port = http_.bind_to_any_port(options_.host);
    } else if (!http_.bind_to_port(options_.host, port)) {
      port = -1;
    }
    if (port >= 0) {
      // cpp-httplib 0.11 listens with a backlog of 5: a burst of connections would wait for
      // SYN retries (a second or more). Listening again only raises the backlog.
      ::listen(listen_socket_, SOMAXCONN);
    }
    if (port < 0) {
      return UnavailableError("cannot listen on " + options_.host + ":" +
                              std::to_string(options_.port) +
                              (errno != 0 ? std::string(": ") + std::strerror(errno) : ""));
    }
    auto socket_port = channel_sockets_.Start();
    if (!socket_port.ok()) return socket_port.status();
    AudioHookOptions audiohook = options_.audiohook;
    if (audiohook.url.empty()) {
      audiohook.url = options_.initial_world.audiohook.url;
      audiohook.api_key = options_.initial_world.audiohook.api_key;
    }
    if (!audiohook.url.empty()) {
      if (Status streaming = StreamAudioHook(std::move(audiohook)); !streaming.ok()) {
        channel_sockets_.Stop();
        return streaming;
      }
    }
    std::string socket_base = "ws://";
    socket_base += options_.host;
    socket_base += ":";
    socket_base += std::to_string(*socket_port);
    notifications_.set_socket_base(std::move(socket_base));
    started_ = true;
    port_ = port;
    thread_ = std::thread([this] {
      http_.listen_after_bind();
      listen_returned_ = true;
    });
    // stop() is a no-op until the accept loop runs; wait for it so Stop() never hangs.
    while (!http_.is_running() && !listen_returned_) std::this_thread::yield();
    return port;
  }

  void Stop() override {
    std::lock_guard lock(lifecycle_mu_);
    if (!thread_.joinable()) return;
    stopping_.request_stop();  // answers held by a latency fault go out now
    {
      std::lock_guard audiohook_lock(audiohook_mu_);
      if (audiohook_) audiohook_->Stop();
    }
    channel_sockets_.Stop();
    http_.stop();
    connections_.CloseAll();  // idle keep-alive connections would hold Stop for their timeout
    thread_.join();
  }

  int port() const override { return port_; }

  Status StreamAudioHook(AudioHookOptions options) override {
    std::lock_guard lock(audiohook_mu_);
    if (audiohook_) return FailedPreconditionError("already streaming to an AudioHook server");
    auto streams = std::make_unique<AudioHookStreams>(sim_, std::move(options));
    if (Status started = streams->Start(); !started.ok()) return started;
    audiohook_ = std::move(streams);
    return Status::Ok();
  }

  bool SyncAudioHook(std::chrono::milliseconds limit) override {
    std::lock_guard lock(audiohook_mu_);
    return !audiohook_ || audiohook_->Sync(limit);
  }

  bool AwaitAccepted(size_t count, std::chrono::milliseconds limit) const override {
    return connections_.AwaitAccepted(count, limit);
  }

  ConnectionStats connection_stats() const override {
    return {.accepted = connections_.accepted_for_test(),
            .refused = connections_.refused_for_test(),
            .timed_out = connections_.timed_out_for_test()};
  }

  InProcessResponse AnswerInProcess(const InProcessRequest& request) override {
    // The request as cpp-httplib would have read it off a connection.
    httplib::Request req;
    req.method = request.method;
    req.target = request.target;
    const size_t query = request.target.find('?');
    req.path = httplib::detail::decode_url(request.target.substr(0, query), false);
    if (query != std::string::npos) {
      httplib::detail::parse_query_text(request.target.substr(query + 1), req.params);
    }
    for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
    req.remote_addr = "in-process";
    httplib::Response res;
    const Delivery delivery = Answer(req, res, request.body);
    if (delivery != Delivery::kWhole) return {.connection_lost = true};
    return {res.status, {res.headers.begin(), res.headers.end()}, std::move(res.body)};
  }

  // A route served that routes::kAll does not list (empty when there is none).
  std::string UnlistedRoute() const {
    for (const std::string& pattern : router_.Patterns()) {
      if (!routes::IsServed(pattern)) return pattern;
    }
    return "";
  }

 private:
  // `body` and `query` must outlive the exchange.
  Exchange NewExchange(const httplib::Request& req, std::string_view body = {},
                       const QueryParams* query = nullptr) {
    Exchange ex;
    ex.method = req.method;
    ex.path = req.path;
    ex.body = body;
    ex.query = query != nullptr ? query : &req.params;
    ex.authorization = req.get_header_value("Authorization");
    ex.content_type = req.get_header_value("Content-Type");
    ex.correlation_id = NextCorrelationId();
    return ex;
  }

  std::string NextCorrelationId() {
    std::lock_guard lock(ids_mu_);
    return correlation_ids_.NextUuid();
  }

  // Whether the request's one Content-Length says more than max_body_bytes (a number too large
  // to parse included).
  bool AnnouncesTooLargeBody(const httplib::Request& req) const {
    if (req.get_header_value_count("Content-Length") != 1) return false;
    const std::optional<long long> length =
        ParseInteger(Trim(req.get_header_value("Content-Length")));
    return !length || *length < 0 || static_cast<size_t>(*length) > options_.max_body_bytes;
  }

  // Runs before cpp-httplib reads a body, which it does by its own rules: it accepts framings
  // that a proxy in front of gcsim could read differently (request smuggling), and without
  // Content-Length or Transfer-Encoding it waits for the client to close the connection (what
  // `curl -X POST` sends stalls for the read timeout). Both are settled here.
  httplib::Server::HandlerResponse SettleFraming(const httplib::Request& req,
                                                 httplib::Response& res) {
    // The API ignores Range; cpp-httplib would cut our answer to it (or make it multipart)
    // and keep its status. The request is cpp-httplib's own, handed to us read-only.
    const_cast<httplib::Request&>(req).ranges.clear();
    const size_t lengths = req.get_header_value_count("Content-Length");
    const size_t encodings = req.get_header_value_count("Transfer-Encoding");
    std::string problem;
    if (lengths > 1) {
      problem = "more than one Content-Length header";
    } else if (lengths == 1 && encodings > 0) {
      problem = "both Content-Length and Transfer-Encoding";
    } else if (lengths == 1 && !IsAllDigits(Trim(req.get_header_value("Content-Length")))) {
      problem = "a Content-Length that is not a number";
    } else if (encodings > 1 ||
               (encodings == 1 && AsciiLower(Trim(req.get_header_value("Transfer-Encoding"))) !=
                                      "chunked")) {
      problem = "a Transfer-Encoding other than chunked";
    } else if (!ReadsBody(req.method) &&
               (encodings > 0 || (lengths == 1 && req.get_header_value("Content-Length") != "0"))) {
      // cpp-httplib reads no body for these and would take one for the next request.
      problem = "a body on a " + req.method + " request";
    }
    if (!problem.empty()) {
      Exchange ex = NewExchange(req);
      Reply reply = BadRequest(ex, "The request's framing is ambiguous: " + problem +
                                       ". The connection is closed.");
      Respond(reply, ex, std::nullopt, res);
      CloseAfterResponse(res);
      if (options_.journal) Record(ex, reply.status);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (ReadsBody(req.method) && AnnouncesTooLargeBody(req)) {
      // Answered before the body arrives: cpp-httplib would first read and discard all of it.
      RefuseBody(req, res, 413);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (AsciiLower(Trim(req.get_header_value("Content-Type"))).rfind("multipart/", 0) == 0) {
      // Nothing gcsim serves takes multipart bodies; cpp-httplib would parse them for us.
      Exchange ex = NewExchange(req);
      Reply reply = ErrorReply(ex, core::ApiStatus(codes::kUnsupportedMediaType,
                                                   "Multipart bodies are not supported; send "
                                                   "application/json."));
      Respond(reply, ex, std::nullopt, res);
      CloseAfterResponse(res);
      if (options_.journal) Record(ex, reply.status);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (lengths == 0 && encodings == 0 && ReadsBody(req.method)) {
      // HTTP/1.1 says such a request has no body (RFC 9112, 6.3): answer it now.
      Handle(req, res, {});
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  // cpp-httplib 0.11 applies its body limit to Content-Length only: a chunked body, or a
  // gzip-encoded one once inflated, would grow without bound. Read through the content reader,
  // every body stays within max_body_bytes.
  void ReadBodyAndHandle(const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& reader) {
    std::string body;
    bool too_large = false;
    const bool read = reader([&](const char* data, size_t length) {
      too_large = length > options_.max_body_bytes - body.size();
      if (!too_large) body.append(data, length);
      return !too_large;
    });
    if (read) return Handle(req, res, body);
    RefuseBody(req, res,
               connections_.HeadTooLarge()      ? 431
               : too_large || res.status == 413 ? 413
                                                : 400);
  }

  // A body too large or badly encoded: what is left of it on the connection cannot be told from
  // the next request, so the connection closes after the answer.
  void RefuseBody(const httplib::Request& req, httplib::Response& res, int status) {
    Exchange ex = NewExchange(req);
    Respond(JsonReply(ErrorBody(StatusForHttpError(status, options_.max_body_bytes),
                                ex.correlation_id, {}, status),
                      status),
            ex, std::nullopt, res);
    CloseAfterResponse(res);
    if (options_.journal) Record(ex, status);
  }

  // What follows a badly framed request on its connection cannot be trusted to start the next
  // one: the connection closes once the answer is written (Connections::Serve).
  static void CloseAfterResponse(httplib::Response& res) { res.set_header("Connection", "close"); }

  // Serves a request read off a connection; a reset or close fault then befalls the connection.
  void Handle(const httplib::Request& req, httplib::Response& res, std::string_view body) {
    connections_.RequestRead();
    const RequestOrder::Turn turn(
        order_, options_.order_requests ? RequestOrder::NumberOf(req) : std::nullopt);
    switch (Answer(req, res, body)) {
      case Delivery::kWhole: break;
      case Delivery::kReset: connections_.ResetCurrent(); break;
      case Delivery::kHeadersOnly: CloseAfterHeaders(res); break;
    }
  }

  // How much of an answer reaches the client: all of it, or not all (reset and close faults).
  enum class Delivery { kWhole, kReset, kHeadersOnly };

  Delivery Answer(const httplib::Request& req, httplib::Response& res, std::string_view body) {
    // A form body's fields join the query parameters, as cpp-httplib does for bodies it reads.
    QueryParams form;
    const bool is_form = AsciiLower(req.get_header_value("Content-Type"))
                             .rfind("application/x-www-form-urlencoded", 0) == 0;
    if (is_form) {
      form = req.params;
      httplib::detail::parse_query_text(std::string(body), form);
    }
    Exchange ex = NewExchange(req, body, is_form ? &form : nullptr);
    std::optional<core::RateDecision> rate;
    bool journal = options_.journal;
    Reply reply;
    try {
      reply = Dispatch(ex, rate, journal);
    } catch (const std::exception& error) {
      reply = ErrorReply(ex, InternalError(std::string("unexpected error: ") + error.what()));
    } catch (...) {
      reply = ErrorReply(ex, InternalError("unexpected error"));
    }
    const Delivery delivery = ex.answer_fault ? Befall(ex, *ex.answer_fault, reply) : Delivery::kWhole;
    Respond(reply, ex, rate, res);
    if (journal) Record(ex, reply.status);
    return delivery;
  }

  // A fault that befalls a request's answer once the request has been carried out: the answer
  // waits on the simulator's clock (a manual clock holds it until time is advanced), or the
  // client never gets all of it.
  Delivery Befall(Exchange& ex, const core::FaultEpisode& fault, const Reply& reply) {
    std::string& effect = ex.journal.effect;
    if (!effect.empty()) effect += "; ";
    effect += "fault ";
    effect += ex.journal.fault;
    switch (fault.kind) {
      case core::FaultKind::kLatency:
        // The journal tells when the request was carried out; the answer comes later.
        effect += ": answered after " + FormatDuration(fault.delay);
        ex.journal.at = sim_.clock().Now();
        sim_.clock().WaitUntil(ex.journal.at + fault.delay, stopping_.get_token());
        return Delivery::kWhole;
      case core::FaultKind::kReset:
        ex.journal.answer_lost = true;
        effect += ": carried out, then the connection was reset without the answer (" +
                  std::to_string(reply.status) + ")";
        return Delivery::kReset;
      default:
        ex.journal.answer_lost = true;
        effect += ": carried out, then the connection was closed after the headers of the answer (" +
                  std::to_string(reply.status) + ")";
        return Delivery::kHeadersOnly;
    }
  }

  // The status line and headers go out, then the connection closes before the body: cpp-httplib
  // 0.11 closes a connection when a content provider reports failure.
  static void CloseAfterHeaders(httplib::Response& res) {
    const size_t length = std::max<size_t>(res.body.size(), 1);
    res.body.clear();
    res.set_header("Connection", "close");  // nothing is awaited on it after
    res.set_content_provider(length, res.get_header_value("Content-Type"),
                             [](size_t, size_t, httplib::DataSink&) { return false; });
  }

  Reply Dispatch(Exchange& ex, std::optional<core::RateDecision>& rate, bool& journal) {
    Router::Match match = router_.Find(ex.method, ex.path);
    if (match.kind == Router::Match::Kind::kNotFound) {
      return ErrorReply(ex, core::ApiStatus(codes::kNotFound, "No resource at " + ex.path + "."));
    }
    if (match.kind == Router::Match::Kind::kMethodNotAllowed) {
      Reply reply =
          ErrorReply(ex, core::ApiStatus(codes::kMethodNotAllowed,
                                         "Method " + ex.method + " is not supported on " + ex.path +
                                             " (allowed: " + match.allow + ")."));
      reply.headers.emplace_back("Allow", match.allow);
      return reply;
    }
    const Route& route = *match.route;
    journal = journal && route.journal;
    ex.reads = route.reads;
    ex.path_params = std::move(match.params);
    ex.journal.route = route.pattern;
    ex.journal.conversation_id = ex.Param("conversationId");
    ex.journal.participant_id = ex.Param("participantId");

    if (route.access == Access::kBearer) {
      if (auto refused = Authenticate(ex)) return std::move(*refused);
      rate = sim_.ChargeRequest(ex.caller.client_id);
      if (rate->limited) return RateLimited(ex, *rate);
      // One episode per request: the first added that hits it.
      using Kind = core::FaultKind;
      if (auto fault = sim_.faults().Hit({.method = ex.method,
                                          .route = route.pattern,
                                          .client_id = ex.caller.client_id,
                                          .conversation_id = ex.Param("conversationId"),
                                          .participant_id = ex.Param("participantId")},
                                         FaultKindsFor(route.reads), sim_.clock().Now())) {
        ex.journal.fault = core::Label(*fault);
        if (fault->kind == Kind::kStatus || fault->kind == Kind::kThrottle) return FaultReply(ex, *fault);
        if (fault->kind == Kind::kStaleAnalytics || fault->kind == Kind::kStaleReads) {
          ex.stale_lag = fault->lag;
        } else {
          ex.answer_fault = std::move(fault);
        }
      }
    }
    for (const auto& [name, value] : ex.path_params) {
      if (!IsUuid(value)) return BadRequest(ex, name + " [" + value + "] is not a valid UUID.");
    }
    if (auto refused = DecodeBody(route.body, ex)) return std::move(*refused);
    return route.handler(ex);
  }

  // The kinds a request can meet on a route that reads `reads`: built once, not per request.
  static const std::vector<core::FaultKind>& FaultKindsFor(Reads reads) {
    using Kind = core::FaultKind;
    static const std::vector<Kind> kAny = {Kind::kStatus, Kind::kThrottle, Kind::kLatency, Kind::kReset,
                                           Kind::kClose};
    static const std::vector<Kind> kAnalytics = [] {
      std::vector<Kind> kinds = kAny;
      kinds.push_back(Kind::kStaleAnalytics);
      return kinds;
    }();
    static const std::vector<Kind> kConversation = [] {
      std::vector<Kind> kinds = kAny;
      kinds.push_back(Kind::kStaleReads);
      return kinds;
    }();
    switch (reads) {
      case Reads::kAnalytics: return kAnalytics;
      case Reads::kConversation: return kConversation;
      case Reads::kWorldAsItIs: break;
    }
    return kAny;
  }

  std::optional<Reply> Authenticate(Exchange& ex) {
    const std::string_view header = Trim(ex.authorization);
    if (header.size() < 7 || AsciiLower(header.substr(0, 7)) != "bearer " ||
        Trim(header.substr(7)).empty()) {
      return ErrorReply(ex, core::ApiStatus(codes::kAuthRequired));
    }
    auto caller = sim_.Authenticate(std::string(Trim(header.substr(7))));
    if (!caller.ok()) return ErrorReply(ex, caller.status());
    ex.caller = std::move(*caller);
    ex.journal.client_id = ex.caller.client_id;
    if (auto revoked = sim_.faults().Revoked(ex.caller.client_id, ex.caller.token_issued_at,
                                             sim_.clock().Now())) {
      ex.journal.fault = core::Label(*revoked);
      return ErrorReply(ex, core::ApiStatus(codes::kBadCredentials, "The access token was revoked."));
    }
    return std::nullopt;
  }

  // What a fault episode answers instead of the API, with the bodies the real service gives:
  // an ErrorBody from the service for 500, 503 and 429; the gateway's own shape for 502 and 504.
  static Reply FaultReply(Exchange& ex, const core::FaultEpisode& fault) {
    Reply reply;
    if (fault.kind == core::FaultKind::kThrottle) {
      reply = ErrorReply(ex, core::ApiStatus(codes::kTooManyRequests,
                                             "Rate limit exceeded the maximum. Retry the request later."));
    } else if (fault.status == 502 || fault.status == 504) {
      reply = JsonReply({{"message", fault.status == 502 ? "Bad Gateway" : "Gateway Timeout"},
                         {"status", fault.status}},
                        fault.status);
    } else {
      reply = ErrorReply(ex, fault.status == 503
                                 ? core::ApiStatus(codes::kUnavailable, "The service is temporarily unavailable.")
                                 : core::ApiStatus(codes::kInternal, "An internal server error occurred."));
    }
    if (fault.retry_after) {
      reply.headers.emplace_back(
          "Retry-After",
          std::to_string(std::chrono::ceil<std::chrono::seconds>(*fault.retry_after).count()));
    }
    ex.journal.effect = "fault " + ex.journal.fault + ": answered " + std::to_string(reply.status);
    return reply;
  }

  static Reply RateLimited(const Exchange& ex, const core::RateDecision& rate) {
    const std::string seconds = std::to_string(rate.reset_seconds);
    Reply reply =
        ErrorReply(ex, core::ApiStatus(codes::kTooManyRequests,
                                       "Rate limit exceeded the maximum. Retry the request in [" +
                                           seconds + "] seconds"));
    reply.headers.emplace_back("Retry-After", seconds);
    return reply;
  }

  // JSON routes get their object in ex.json; any refusal leaves the world untouched.
  static std::optional<Reply> DecodeBody(BodyKind kind, Exchange& ex) {
    if (kind == BodyKind::kNone || kind == BodyKind::kForm) return std::nullopt;
    if (ex.body.empty()) {
      if (kind == BodyKind::kOptionalJson) return std::nullopt;
      return BadRequest(ex, "A JSON request body is required.");
    }
    if (!IsJsonContentType(ex.content_type)) {
      return ErrorReply(ex, core::ApiStatus(codes::kUnsupportedMediaType,
                                            ex.content_type.empty()
                                                ? "Content-Type is missing; send application/json."
                                                : "Content-Type " + ex.content_type +
                                                      " is not supported; send application/json."));
    }
    // A raw NUL is never valid JSON, but nlohmann takes it for the end of the text and ignores
    // whatever follows: a body that means one thing to gcsim and another to a proxy.
    if (const size_t nul = ex.body.find('\0'); nul != std::string_view::npos) {
      return BadRequest(ex, "Malformed JSON body: a NUL byte at offset " + std::to_string(nul) +
                                ".");
    }
    // Bounded depth: nlohmann's dump and copy of what it parsed recurse, one frame per level.
    auto parsed = ParseJson(ex.body);
    if (!parsed.ok()) return BadRequest(ex, "Malformed JSON body: " + parsed.status().message());
    json body = std::move(*parsed);
    const bool want_array = kind == BodyKind::kJsonArray;
    if (want_array ? !body.is_array() : !body.is_object()) {
      std::string message = "The request body must be a JSON ";
      message += want_array ? "array" : "object";
      message += ", not ";
      message += body.is_array() || body.is_object() ? "an " : "a ";
      message += body.type_name();
      message += ".";
      return BadRequest(ex, message);
    }
    ex.json = std::move(body);
    return std::nullopt;
  }

  void Respond(const Reply& reply, const Exchange& ex,
               const std::optional<core::RateDecision>& rate, httplib::Response& res) {
    res.status = reply.status;
    // On the simulator's clock, so that a client can tell how far its own clock is from it.
    res.set_header("Date", FormatHttpDate(sim_.clock().Now()));
    res.set_header(kCorrelationHeader, ex.correlation_id);
    core::RateDecision shown;
    if (rate) {
      shown = *rate;
    } else {
      sim_.Read([&](const core::WorldView& world) { shown.allowed = world.rate_limit(); });
      shown.reset_seconds = kUnchargedResetSeconds;
    }
    res.set_header("inin-ratelimit-count", std::to_string(shown.count));
    res.set_header("inin-ratelimit-allowed", std::to_string(shown.allowed));
    res.set_header("inin-ratelimit-reset", std::to_string(shown.reset_seconds));
    for (const auto& [name, value] : reply.headers) res.set_header(name, value);
    if (!reply.text.empty()) {
      res.set_content(reply.text, reply.content_type);
    } else if (!reply.body.is_null()) {
      // Replace rather than throw on invalid UTF-8 echoed back from a request.
      res.set_content(reply.body.dump(-1, ' ', false, json::error_handler_t::replace),
                      reply.content_type);
    }
  }

  void Record(Exchange& ex, int status) {
    core::JournalEntry& entry = ex.journal;
    TruncateList(entry.ignored_fields, kJournalFieldsKept, kJournalTextBytes);
    Truncate(entry.effect, kJournalTextBytes);
    Truncate(entry.hint, kJournalTextBytes);
    if (entry.at == TimePoint{}) entry.at = sim_.clock().Now();
    if (entry.drop_silent_since) entry.drop_evidence = EvidenceFor(entry, ex.dropped_legs);
    NoteAnswer(entry, ex.method, status);
    entry.method = ex.method;
    entry.path = ex.path;
    Truncate(entry.path, kJournalTextBytes);
    entry.correlation_id = ex.correlation_id;
    entry.status = status;
    sim_.journal().Append(std::move(entry));
  }

  // What a drop's client could have known of its legs: the world when its newest read of their
  // conversation that it had an answer to was carried out, if that answer came within
  // think_time before; and any word of theirs its notification channels told it of since.
  std::optional<core::DropEvidence> EvidenceFor(const core::JournalEntry& drop,
                                                const std::vector<core::Participant>& legs) {
    if (drop.client_id.empty() || drop.conversation_id.empty() || legs.empty()) return std::nullopt;
    Answered newest;
    {
      std::lock_guard lock(answered_mu_);
      const auto it = answered_.find(ReadKey(drop.client_id, drop.conversation_id));
      if (it == answered_.end()) return std::nullopt;
      newest = it->second;
    }
    // (An answer after the drop comes from before a rewind of the clock.)
    if (newest.answered > drop.at || drop.at - newest.answered > options_.think_time) {
      return std::nullopt;
    }
    core::DropEvidence evidence{.read_at = newest.carried_out, .silent_since = {}};
    for (const core::Participant& leg : legs) {
      evidence.silent_since =
          std::max(evidence.silent_since, core::SilentSinceAsOf(leg, newest.carried_out));
      const std::optional<TimePoint> told =
          notifications_.HeardTold(drop.client_id, leg.id, drop.at);
      // (One after the drop was told before a rewind of the clock.)
      if (told && *told <= drop.at) evidence.silent_since = std::max(evidence.silent_since, *told);
    }
    return evidence;
  }

  void ForgetWhatClientsKnew() {
    {
      std::lock_guard lock(answered_mu_);
      answered_.clear();
    }
    notifications_.ForgetTold();
  }

  static std::string ReadKey(const std::string& client_id, const std::string& conversation_id) {
    return client_id + '\n' + conversation_id;
  }

  // Only a whole answer to a GET of a conversation counts as a read of its legs: other requests
  // (another conversation, a listing, a drop, an error) say nothing of them, and a latency fault
  // on those alone would leave the client a faster read it did not make.
  void NoteAnswer(const core::JournalEntry& entry, const std::string& method, int status) {
    if (entry.client_id.empty() || entry.answer_lost || method != "GET" || status != 200 ||
        (entry.route != routes::kConversation && entry.route != routes::kCall)) {
      return;
    }
    const TimePoint now = sim_.clock().Now();
    std::string key = ReadKey(entry.client_id, entry.conversation_id);
    std::lock_guard lock(answered_mu_);
    auto it = answered_.find(key);
    if (it == answered_.end() && answered_.size() >= kAnswersKept && now != last_sweep_) {
      // Reads answered longer than think_time ago can excuse no drop to come.
      last_sweep_ = now;
      std::erase_if(answered_, [&](const auto& read) {
        return now - read.second.answered > options_.think_time;
      });
    }
    // Anyone may name a client id at /oauth/token: past the bound, new reads go unnoted (their
    // drops are then judged without evidence: strictly).
    if (it == answered_.end() && answered_.size() >= kAnswersKept) return;
    // An older read answered late (in parallel) does not replace a newer one.
    if (it != answered_.end() && it->second.carried_out > entry.at) return;
    answered_[std::move(key)] = {.carried_out = entry.at, .answered = now};
  }

  // Errors cpp-httplib answered itself (413, unparsable requests) become ErrorBodies too.
  httplib::Server::HandlerResponse RenderHttpError(const httplib::Request& req,
                                                   httplib::Response& res) {
    if (res.has_header(kCorrelationHeader)) return httplib::Server::HandlerResponse::Unhandled;
    Exchange ex = NewExchange(req);
    if (connections_.TimedOut()) res.status = 408;
    if (connections_.HeadTooLarge()) res.status = 431;
    const int status = res.status;
    Respond(JsonReply(ErrorBody(StatusForHttpError(status, options_.max_body_bytes),
                                ex.correlation_id, {}, status),
                      status),
            ex, std::nullopt, res);
    // The library refused what it read: where the next request would start is not known.
    CloseAfterResponse(res);
    if (options_.journal) Record(ex, status);
    return httplib::Server::HandlerResponse::Handled;
  }

  // What a connection past max_connections is told before it is closed.
  std::string RefusalBody() {
    return ErrorBody(
               core::ApiStatus(codes::kUnavailable, "gcsim is serving its limit of " +
                                                        std::to_string(options_.max_connections) +
                                                        " connections; retry shortly."),
               NextCorrelationId(), {}, 503)
        .dump();
  }

  ServerOptions options_;
  core::Simulator& sim_;
  Router router_;  // built in the constructor, read-only after
  Connections connections_;
  HttpServer http_;
  socket_t listen_socket_ = -1;
  std::mutex ids_mu_;  // guards correlation_ids_
  IdGenerator correlation_ids_;
  RequestOrder order_;
  Notifications notifications_;
  ChannelSockets channel_sockets_;  // after notifications_: its sockets detach on destruction
  std::mutex audiohook_mu_;  // guards audiohook_
  // Each client's newest read of each conversation it had an answer to (ReadKey): when it was
  // carried out, and answered.
  struct Answered {
    TimePoint carried_out;
    TimePoint answered;
  };
  static constexpr size_t kAnswersKept = 10'000;
  std::mutex answered_mu_;  // guards answered_, last_sweep_
  std::unordered_map<std::string, Answered> answered_;
  TimePoint last_sweep_{};
  std::unique_ptr<AudioHookStreams> audiohook_;  // null: not streaming
  std::mutex lifecycle_mu_;  // guards started_, thread_
  std::stop_source stopping_;  // requested by Stop()
  bool started_ = false;
  std::thread thread_;
  std::atomic<int> port_{0};
  std::atomic<bool> listen_returned_{false};
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  if (options.simulator == nullptr) {
    return InvalidArgumentError("ServerOptions.simulator is required");
  }
  if (options.threads == 0) return InvalidArgumentError("ServerOptions.threads must be at least 1");
  if (options.manual_clock != nullptr &&
      static_cast<Clock*>(options.manual_clock) != &options.simulator->clock()) {
    return InvalidArgumentError("ServerOptions.manual_clock must be the simulator's clock");
  }
  auto server = std::make_unique<ServerImpl>(std::move(options));
  // A route missing from routes::kAll could not be named by a fault episode.
  if (const std::string unlisted = server->UnlistedRoute(); !unlisted.empty()) {
    return InternalError("route " + unlisted + " is missing from routes::kAll");
  }
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace gcsim::http
