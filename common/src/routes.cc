#include "gcsim/common/routes.h"

#include <algorithm>

namespace gcsim::routes {

bool IsServed(std::string_view pattern) {
  const std::string_view ui = kSimUi.substr(0, kSimUi.size() - 1);  // "/sim/v1/ui" redirects
  return std::find(std::begin(kAll), std::end(kAll), pattern) != std::end(kAll) ||
         pattern.substr(0, ui.size()) == ui;
}

std::string FillPath(std::string_view pattern, std::initializer_list<std::string_view> values) {
  std::string out;
  auto value = values.begin();
  size_t at = 0;
  while (at < pattern.size()) {
    const size_t open = pattern.find('{', at);
    const size_t close = open == std::string_view::npos ? open : pattern.find('}', open);
    if (close == std::string_view::npos || value == values.end()) {
      out += pattern.substr(at);
      break;
    }
    out += pattern.substr(at, open - at);
    out += *value++;
    at = close + 1;
  }
  return out;
}

}  // namespace gcsim::routes
