// The live view's static files (assets/), compiled into gcsim by cmake/embed_files.cmake so
// that `gcsim serve` needs nothing on disk and nothing from the network to serve them.
#pragma once

#include <span>
#include <string_view>

namespace gcsim::http {

struct EmbeddedFile {
  std::string_view name;          // path under assets/, e.g. "app.js"
  std::string_view content_type;  // from the extension
  std::string_view body;
};

// Every file of assets/, in the order CMake lists them; valid for the life of the program.
std::span<const EmbeddedFile> UiFiles();

}  // namespace gcsim::http
