#include "gcsim/common/json.h"

#include <string>
#include <vector>

namespace gcsim {
namespace {

using nlohmann::json;

// Builds the document from SAX events, as nlohmann's own DOM builder does, while counting depth
// and checking keys; the first problem stops the parse.
class BoundedBuilder final : public nlohmann::json_sax<json> {
 public:
  explicit BoundedBuilder(const JsonParseOptions& options) : options_(options) {}

  bool null() override { return Put(nullptr); }
  bool boolean(bool value) override { return Put(value); }
  bool number_integer(number_integer_t value) override { return Put(value); }
  bool number_unsigned(number_unsigned_t value) override { return Put(value); }
  bool number_float(number_float_t value, const string_t&) override { return Put(value); }
  bool string(string_t& value) override { return Put(std::move(value)); }
  bool binary(binary_t& value) override { return Put(json::binary(std::move(value))); }

  bool start_object(std::size_t) override { return Open(json::object()); }
  bool start_array(std::size_t) override { return Open(json::array()); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }

  bool key(string_t& value) override {
    if (options_.reject_duplicate_keys && open_.back()->contains(value)) {
      return Fail(Pointer() + ": duplicate key \"" + value + "\"");
    }
    key_ = std::move(value);
    return true;
  }

  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& error) override {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> "line 1, ..."
    std::string what = error.what();
    if (const auto at = what.find(" at line "); at != std::string::npos) {
      what = what.substr(at + 4);
    } else if (const auto bracket = what.find("] "); bracket != std::string::npos) {
      what = what.substr(bracket + 2);
    }
    return Fail(what);
  }

  json& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  // Where the next value goes, as a JSON pointer; also names a container being opened.
  std::string Pointer() const {
    std::string pointer;
    for (const std::string& step : path_) pointer += step;
    return open_.empty() ? pointer : pointer + NextStep();
  }

  // "/key" or "/3": the step from the innermost open container to its next value.
  std::string NextStep() const {
    const json& parent = *open_.back();
    // Appended, not "/" + ...: g++ 12 flags the latter with a false -Wrestrict in Release.
    std::string step = "/";
    step += parent.is_array() ? std::to_string(parent.size()) : JsonPointerToken(key_);
    return step;
  }

  // Stores a value where it belongs and returns it.
  json* Place(json&& value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }

  bool Put(json&& value) {
    Place(std::move(value));
    return true;
  }

  bool Open(json&& container) {
    if (open_.size() >= options_.max_depth) {
      return Fail((open_.empty() ? "/" : Pointer()) + ": nested deeper than " +
                  std::to_string(options_.max_depth) + " levels");
    }
    std::string step = open_.empty() ? "" : NextStep();
    open_.push_back(Place(std::move(container)));
    path_.push_back(std::move(step));
    return true;
  }

  bool Close() {
    open_.pop_back();
    path_.pop_back();
    return true;
  }

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  const JsonParseOptions& options_;
  json root_;
  std::vector<json*> open_;        // containers being filled, outermost first
  std::vector<std::string> path_;  // each open container's step from its parent ("" for the root)
  std::string key_;                // the key of the next value in the innermost object
  std::string error_;
};

}  // namespace

std::string JsonPointerToken(std::string_view key) {
  std::string token;
  token.reserve(key.size());
  for (const char c : key) {
    if (c == '~') {
      token += "~0";
    } else if (c == '/') {
      token += "~1";
    } else {
      token += c;
    }
  }
  return token;
}

Result<nlohmann::json> ParseJson(std::string_view text, const JsonParseOptions& options) {
  BoundedBuilder builder(options);
  bool parsed = false;
  try {
    parsed = json::sax_parse(text, &builder, json::input_format_t::json, /*strict=*/true,
                             options.allow_comments);
  } catch (const std::exception& error) {
    // sax_parse reports through parse_error(); this is only for allocation failures.
    return InvalidArgumentError(std::string("cannot parse JSON: ") + error.what());
  }
  if (!parsed || !builder.error().empty()) {
    return InvalidArgumentError(builder.error().empty() ? "not valid JSON" : builder.error());
  }
  return std::move(builder.root());
}

}  // namespace gcsim
