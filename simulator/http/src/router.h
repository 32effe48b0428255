// Routes by method and path pattern ("/api/v2/conversations/{conversationId}"), so that the
// server can tell an unknown path (404) from a known path asked with the wrong method (405).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exchange.h"

namespace gcsim::http {

using Handler = std::function<Reply(Exchange&)>;

// Who may call a route.
enum class Access {
  kOpen,    // no credentials: /oauth/token and the /sim/v1 control plane
  kBearer,  // /api/v2: a bearer token, charged against its client's rate budget
};

// What a route takes as a body.
enum class BodyKind {
  kNone,          // no body; one sent anyway is ignored
  kJson,          // a JSON object, required
  kOptionalJson,  // a JSON object or nothing
  kJsonArray,     // a JSON array, required (notification subscriptions)
  kForm,          // application/x-www-form-urlencoded, read by the handler
};

struct Route {
  std::string method;   // "GET", "POST", ...
  std::string pattern;  // literal segments and {name} parameters, which must be UUIDs
  Access access = Access::kOpen;
  BodyKind body = BodyKind::kNone;
  bool journal = true;  // false: not recorded (reading the journal must not grow it)
  Reads reads = Reads::kWorldAsItIs;
  Handler handler;
};

// Not thread-safe to build; Find() is safe to call concurrently once built.
class Router {
 public:
  void Add(Route route);

  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed };
    Kind kind = Kind::kNotFound;
    const Route* route = nullptr;  // kFound
    PathParams params;             // kFound
    std::string allow;             // kMethodNotAllowed: the Allow header, e.g. "GET, POST"
  };
  // HEAD is served as GET. When several patterns fit a path, the one with a literal segment
  // earliest wins: /api/v2/conversations/calls is not a conversation id.
  Match Find(std::string_view method, std::string_view path) const;
  // Every pattern added, once each.
  std::vector<std::string> Patterns() const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  struct Pattern {
    std::vector<Segment> segments;
    std::vector<Route> routes;  // one per method
  };
  std::vector<Pattern> patterns_;
};

}  // namespace gcsim::http
