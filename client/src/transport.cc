#include "gcsim/client/transport.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace gcsim::client {

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string HttpResponse::Header(std::string_view name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string BaseUrl::Origin() const {
  std::string origin = scheme + "://" + host;
  if (port != 0) origin.append(":").append(std::to_string(port));  // not ":" + ...: g++ 12 -Wrestrict
  return origin;
}

Result<BaseUrl> ParseBaseUrl(std::string_view url) {
  const std::string quoted = std::string("\"").append(url).append("\"");
  BaseUrl out;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return InvalidArgumentError("bad URL " + quoted +
                                ": expected http://host[:port] or https://host");
  }
  out.scheme = std::string(url.substr(0, sep));
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.scheme != "http" && out.scheme != "https") {
    return InvalidArgumentError("bad URL " + quoted + ": scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    out.prefix = std::string(prefix);
  }
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (ec != std::errc() || end != port.data() + port.size() || out.port <= 0 ||
        out.port > 65535) {
      return InvalidArgumentError("bad URL " + quoted + ": bad port");
    }
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return InvalidArgumentError("bad URL " + quoted + ": no host");
  out.host = std::string(authority);
  return out;
}

}  // namespace gcsim::client
