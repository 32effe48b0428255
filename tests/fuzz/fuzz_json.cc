// ParseJson on any bytes: it never throws and never nests past its bound, and whatever it
// accepts survives what gcsim then does with a document (dump and copy, both recursive in
// nlohmann) and parses again to the same value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gcsim/common/json.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const gcsim::JsonParseOptions& options :
       {gcsim::JsonParseOptions{},
        gcsim::JsonParseOptions{.allow_comments = true, .reject_duplicate_keys = true},
        gcsim::JsonParseOptions{.max_depth = 3}}) {
    const auto parsed = gcsim::ParseJson(text, options);
    if (!parsed.ok()) {
      Check(parsed.status().code() == gcsim::StatusCode::kInvalidArgument);
      Check(!parsed.status().message().empty());
      continue;
    }
    const nlohmann::json copy = *parsed;
    const std::string dumped =
        copy.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const auto again = gcsim::ParseJson(dumped, {.max_depth = options.max_depth});
    Check(again.ok());
    Check(*again == copy);
  }
  return 0;
}
