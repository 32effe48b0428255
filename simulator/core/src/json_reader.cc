#include "gcsim/core/json_reader.h"

#include "gcsim/common/ids.h"

namespace gcsim::core {

using nlohmann::json;

ObjectReader::ObjectReader(const json& object, std::string pointer)
    : object_(object), pointer_(std::move(pointer)) {
  if (!object_.is_object()) Fail(pointer_, "expected an object");
}

void ObjectReader::Fail(const std::string& where, const std::string& what) {
  if (status_.ok()) status_ = InvalidArgumentError((where.empty() ? "/" : where) + ": " + what);
}

const json* ObjectReader::Get(std::string_view key, bool required) {
  if (!ok() || !object_.is_object()) return nullptr;
  used_.insert(std::string(key));
  const auto it = object_.find(key);
  if (it == object_.end()) {
    if (required) Fail(pointer_, "missing required field \"" + std::string(key) + "\"");
    return nullptr;
  }
  return &*it;
}

void ObjectReader::String(std::string_view key, std::string& out, bool required) {
  if (const json* v = Get(key, required)) {
    if (v->is_string()) {
      out = v->get<std::string>();
    } else {
      Fail(At(key), "expected a string");
    }
  }
}

void ObjectReader::Id(std::string_view key, std::string& out, bool required) {
  String(key, out, required);
  if (ok() && !out.empty() && !IsUuid(out)) {
    Fail(At(key), "\"" + out + "\" is not a UUID (the API's ids look like "
                               "\"9f8e7d6c-5b4a-3210-abcd-ef1234567890\")");
  }
}

void ObjectReader::Bool(std::string_view key, bool& out) {
  if (const json* v = Get(key)) {
    if (v->is_boolean()) {
      out = v->get<bool>();
    } else {
      Fail(At(key), "expected true or false");
    }
  }
}

void ObjectReader::Int(std::string_view key, int& out, int min, bool required) {
  constexpr int64_t kMax = 100'000'000;  // counts and seeds; far from int's end
  if (const json* v = Get(key, required)) {
    if (v->is_number_integer() && v->get<int64_t>() >= min && v->get<int64_t>() <= kMax) {
      out = v->get<int>();
    } else {
      Fail(At(key),
           "expected a whole number from " + std::to_string(min) + " to " + std::to_string(kMax));
    }
  }
}

void ObjectReader::DurationField(std::string_view key, Duration& out, bool required) {
  if (const json* v = Get(key, required)) {
    if (!v->is_string()) return Fail(At(key), "expected a duration string like \"250ms\"");
    auto parsed = ParseDuration(v->get<std::string>());
    if (parsed.ok()) {
      out = *parsed;
    } else {
      Fail(At(key), parsed.status().message());
    }
  }
}

void ObjectReader::Speech(std::string_view key, SpeechScript& out) {
  if (const json* v = Get(key)) {
    auto parsed = ParseSpeech(*v);
    if (parsed.ok()) {
      out = *parsed;
    } else {
      Fail(At(key), parsed.status().message());
    }
  }
}

Status ObjectReader::Finish() {
  if (ok() && object_.is_object()) {
    for (const auto& [key, unused] : object_.items()) {
      if (!used_.count(key)) Fail(At(key), "unknown field \"" + key + "\"");
    }
  }
  return status_;
}

}  // namespace gcsim::core
