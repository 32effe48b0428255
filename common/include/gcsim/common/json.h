// Parsing JSON that gcsim did not write (HTTP bodies, world and scenario files, API replies):
// bounded nesting, no exceptions, errors that say where.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gcsim/common/status.h"

namespace gcsim {

// Deeper than any body the Genesys API takes or any file gcsim reads; shallow enough that
// nlohmann's recursive copy, compare and dump of the result can never exhaust the stack.
inline constexpr size_t kMaxJsonDepth = 64;

struct JsonParseOptions {
  // Objects and arrays nested deeper than this are refused before anything recursive runs.
  size_t max_depth = kMaxJsonDepth;
  // gcsim's own files may hold // and /* */ comments; HTTP bodies may not.
  bool allow_comments = false;
  // gcsim's own files: a key twice in one object is an error (the last would silently win).
  bool reject_duplicate_keys = false;
};

// Never throws. Errors are kInvalidArgument and read "line 3, column 7: syntax error ...",
// "/a/0/b: nested deeper than 64 levels" or "/world: duplicate key \"runFor\"".
Result<nlohmann::json> ParseJson(std::string_view text, const JsonParseOptions& options = {});

// "/a/b~1c" for the path a, b/c: a JSON pointer token, escaped per RFC 6901.
std::string JsonPointerToken(std::string_view key);

}  // namespace gcsim
