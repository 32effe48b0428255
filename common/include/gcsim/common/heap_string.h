// A string kept on the heap: one pointer in its holder while empty, for the text most legs of a
// million-leg world never have (a generated bridge's legs carry no name or address).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace gcsim {

class HeapString {
 public:
  HeapString() = default;
  HeapString(std::string_view text) { *this = text; }  // NOLINT: as std::string
  HeapString(const HeapString& other) { *this = other.str(); }
  HeapString(HeapString&&) noexcept = default;
  HeapString& operator=(const HeapString& other) { return *this = other.str(); }
  HeapString& operator=(HeapString&&) noexcept = default;
  HeapString& operator=(std::string_view text) {
    if (text.empty()) {
      text_.reset();
    } else if (text_) {
      text_->assign(text);
    } else {
      text_ = std::make_unique<std::string>(text);
    }
    return *this;
  }

  bool empty() const { return text_ == nullptr; }
  const std::string& str() const { return text_ ? *text_ : Empty(); }

  friend bool operator==(const HeapString& a, std::string_view b) { return a.str() == b; }

 private:
  static const std::string& Empty() {
    static const std::string empty;
    return empty;
  }
  std::unique_ptr<std::string> text_;  // null while empty
};

}  // namespace gcsim
