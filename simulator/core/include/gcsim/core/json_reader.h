// Reads a JSON object field by field for gcsim's own file formats (worlds, scenarios): the
// first error wins and says where, as a JSON pointer, and keys nobody asked for are reported,
// so a typo never silently becomes a default.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gcsim/common/status.h"
#include "gcsim/common/time.h"
#include "gcsim/core/model.h"

namespace gcsim::core {

// Not thread-safe; one per object being read. Holds a reference to the JSON, which must
// outlive it.
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string pointer);

  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  // The JSON pointer of `key` in this object.
  std::string At(std::string_view key) const { return pointer_ + "/" + std::string(key); }
  // Records an error at `where` unless one is recorded already.
  void Fail(const std::string& where, const std::string& what);

  // The value under `key`, or null when absent (and an error when required).
  const nlohmann::json* Get(std::string_view key, bool required = false);
  void String(std::string_view key, std::string& out, bool required = false);
  // A string that must be a UUID, as the API's ids are.
  void Id(std::string_view key, std::string& out, bool required = false);
  void Bool(std::string_view key, bool& out);
  void Int(std::string_view key, int& out, int min, bool required = false);
  void DurationField(std::string_view key, Duration& out, bool required = false);
  void Speech(std::string_view key, SpeechScript& out);

  // Calls `each(item, pointer)` for every element of the array under `key`; stops at the
  // first error it returns.
  template <typename Fn>
  void Array(std::string_view key, Fn&& each) {
    const nlohmann::json* v = Get(key);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(At(key), "expected an array");
    for (size_t i = 0; i < v->size() && ok(); ++i) {
      Status item = each((*v)[i], At(key) + "/" + std::to_string(i));
      if (!item.ok() && ok()) status_ = item;
    }
  }

  // Call last: reports the first key nobody asked for.
  Status Finish();

 private:
  const nlohmann::json& object_;
  const std::string pointer_;
  Status status_;
  std::set<std::string> used_;
};

}  // namespace gcsim::core
