// The one place the client touches cpp-httplib.
#include <httplib.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <vector>

#include "gcsim/client/transport.h"

namespace gcsim::client {

struct HttpTransport::Impl {
  // A keep-alive connection to one origin. httplib::Client is not safe for concurrent use, so a
  // connection serves one request at a time: concurrent sends each take one of their own.
  struct Connection {
    explicit Connection(const std::string& to) : origin(to), client(to) {}
    const std::string origin;
    bool busy = false;
    httplib::Client client;
  };

  // An idle connection to `origin`, opened when every one is busy; Release gives it back.
  Connection& Acquire(const std::string& origin) {
    std::lock_guard lock(mu);
    for (const auto& connection : connections) {
      if (!connection->busy && connection->origin == origin) {
        connection->busy = true;
        return *connection;
      }
    }
    Connection& connection = *connections.emplace_back(std::make_unique<Connection>(origin));
    auto& c = connection.client;
    c.set_keep_alive(true);
    c.set_tcp_nodelay(true);
    c.set_connection_timeout(options.connect_timeout);
    c.set_read_timeout(options.io_timeout);
    c.set_write_timeout(options.io_timeout);
    c.enable_server_certificate_verification(options.verify_certificates);
    connection.busy = true;
    return connection;
  }
  void Release(Connection& connection) {
    std::lock_guard lock(mu);
    connection.busy = false;
  }

  HttpTransportOptions options;
  std::atomic<bool> cancelled{false};
  std::mutex mu;  // guards connections and their busy marks
  std::vector<std::unique_ptr<Connection>> connections;  // never shrinks: they are reused
};

HttpTransport::HttpTransport(HttpTransportOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  // cpp-httplib writes without MSG_NOSIGNAL: a server that resets the connection would end the
  // process with SIGPIPE instead of failing the request.
  std::signal(SIGPIPE, SIG_IGN);
}

HttpTransport::~HttpTransport() = default;

Result<HttpResponse> HttpTransport::Send(std::string_view base_url, const HttpRequest& request) {
  auto base = ParseBaseUrl(base_url);
  if (!base.ok()) return base.status();
  Impl::Connection& connection = impl_->Acquire(base->Origin());
  struct Releaser {
    Impl& impl;
    Impl::Connection& connection;
    ~Releaser() { impl.Release(connection); }
  } releaser{*impl_, connection};

  httplib::Request req;
  req.method = request.method;
  req.path = base->prefix + request.target;
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  req.body = request.body;

  if (impl_->cancelled) {
    return UnavailableError(request.method + " " + base->Origin() + req.path +
                            " not sent: the client is stopping");
  }
  if (!connection.client.is_valid()) {
    return InvalidArgumentError("cannot use URL \"" + std::string(base_url) + "\"");
  }
  httplib::Result result = connection.client.send(req);
  if (!result) {
    return UnavailableError(request.method + " " + base->Origin() + req.path +
                            " failed: " + httplib::to_string(result.error()));
  }
  HttpResponse response;
  response.status = result->status;
  // Repeated headers keep their first value: none of the ones the client reads repeat.
  for (const auto& [name, value] : result->headers) response.headers.emplace(name, value);
  response.body = std::move(result->body);
  return response;
}

void HttpTransport::Cancel() {
  impl_->cancelled = true;
  std::lock_guard lock(impl_->mu);
  // httplib::Client::stop() is the one call that is safe during another thread's request: it
  // shuts the socket down, so that request fails now rather than after io_timeout.
  for (auto& connection : impl_->connections) connection->client.stop();
}

}  // namespace gcsim::client
