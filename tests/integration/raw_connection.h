// A loopback connection for bytes httplib::Client would never send (framing, garbage, slow or
// idle peers). Shared by the integration tests that need raw sockets.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "server_fixture.h"

namespace gcsim::http::testing {

// A loopback connection for bytes httplib::Client would never send.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    // A guard against a server that never answers (the test then fails instead of hanging);
    // no test waits on it when the server behaves.
    const timeval guard{.tv_sec = 30, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof(guard));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response: headers, then Content-Length bytes of body. Status 0 when none came.
  Response Read() {
    Response response;
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return response;
    }
    if (buffer_.rfind("HTTP/1.1 ", 0) != 0) return response;
    size_t line = buffer_.find("\r\n") + 2;
    while (line < head_end) {
      const size_t next = buffer_.find("\r\n", line);
      const std::string header = buffer_.substr(line, next - line);
      const size_t colon = header.find(':');
      response.headers.emplace(header.substr(0, colon), header.substr(colon + 2));
      line = next + 2;
    }
    const size_t length = std::stoul(response.Header("Content-Length").empty()
                                         ? "0"
                                         : response.Header("Content-Length"));
    while (buffer_.size() < head_end + 4 + length) {
      if (!Fill()) return response;
    }
    response.status = std::stoi(buffer_.substr(9, 3));
    response.body = buffer_.substr(head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    return response;
  }

  Response Exchange(std::string_view request) {
    if (!connected_ || !Send(request)) return {};
    return Read();
  }

  // True when the server closed the connection (after anything already buffered).
  bool ClosedByServer() {
    char c;
    return buffer_.empty() && recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool Fill() {
    char chunk[65536];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string buffer_;
};

}  // namespace gcsim::http::testing
