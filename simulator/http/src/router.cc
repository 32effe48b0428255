#include "router.h"

#include <algorithm>

#include "gcsim/common/strings.h"

namespace gcsim::http {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;
  path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return parts;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

void Router::Add(Route route) {
  std::vector<Segment> segments;
  for (std::string_view part : SplitPath(route.pattern)) {
    const bool is_param = part.size() > 2 && part.front() == '{' && part.back() == '}';
    segments.push_back({std::string(is_param ? part.substr(1, part.size() - 2) : part), is_param});
  }
  const auto same = [&](const Pattern& p) {
    return std::equal(p.segments.begin(), p.segments.end(), segments.begin(), segments.end(),
                      [](const Segment& a, const Segment& b) {
                        return a.is_param == b.is_param && (a.is_param || a.text == b.text);
                      });
  };
  auto it = std::find_if(patterns_.begin(), patterns_.end(), same);
  if (it == patterns_.end()) {
    it = patterns_.insert(patterns_.end(), Pattern{std::move(segments), {}});
  }
  it->routes.push_back(std::move(route));
}

std::vector<std::string> Router::Patterns() const {
  std::vector<std::string> patterns;
  for (const Pattern& pattern : patterns_) patterns.push_back(pattern.routes.front().pattern);
  return patterns;
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  const std::vector<std::string_view> parts = SplitPath(path);
  const Pattern* best = nullptr;
  for (const Pattern& pattern : patterns_) {
    if (pattern.segments.size() != parts.size()) continue;
    bool fits = true;
    for (size_t i = 0; i < parts.size() && fits; ++i) {
      const Segment& segment = pattern.segments[i];
      fits = segment.is_param ? !parts[i].empty() : segment.text == parts[i];
    }
    if (!fits) continue;
    // Prefer the pattern whose first difference is a literal segment.
    if (best != nullptr) {
      for (size_t i = 0; i < parts.size(); ++i) {
        if (best->segments[i].is_param == pattern.segments[i].is_param) continue;
        if (best->segments[i].is_param) best = &pattern;
        break;
      }
    } else {
      best = &pattern;
    }
  }

  Match match;
  if (best == nullptr) return match;
  const auto route_for = [best](std::string_view wanted) -> const Route* {
    for (const Route& route : best->routes) {
      if (route.method == wanted) return &route;
    }
    return nullptr;
  };
  // HEAD is served as GET where a path has no HEAD of its own.
  match.route = route_for(method);
  if (match.route == nullptr && method == "HEAD") match.route = route_for("GET");
  if (match.route != nullptr) {
    match.kind = Match::Kind::kFound;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (best->segments[i].is_param) match.params.emplace_back(best->segments[i].text, parts[i]);
    }
    return match;
  }
  std::vector<std::string> methods;
  for (const Route& route : best->routes) methods.push_back(route.method);
  std::sort(methods.begin(), methods.end());
  match.kind = Match::Kind::kMethodNotAllowed;
  match.allow = Join(methods, ", ");
  return match;
}

}  // namespace gcsim::http
