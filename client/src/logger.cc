#include "gcsim/client/logger.h"

#include <nlohmann/json.hpp>

namespace gcsim::client {
namespace {

// Text values with spaces or quotes are quoted so a line still splits into key=value pairs.
std::string QuoteIfNeeded(const std::string& value) {
  if (!value.empty() && value.find_first_of(" \"=\t\n") == std::string::npos) return value;
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool ParseLogFormat(std::string_view text, LogFormat& format) {
  if (text == "text") {
    format = LogFormat::kText;
  } else if (text == "json") {
    format = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

Logger::Logger(std::ostream& out, const Clock& clock, LoggerOptions options)
    : out_(out), clock_(clock), options_(options) {}

void Logger::Log(LogLevel level, std::string_view event, const LogFields& fields) {
  if (level < options_.min_level) return;
  if (options_.sink) return options_.sink(level, event, fields);
  const std::string time = FormatIso8601(clock_.Now());
  std::string line;
  if (options_.format == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["time"] = time;
    j["level"] = LogLevelName(level);
    j["event"] = event;
    for (const auto& [key, value] : fields) j[key] = value;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    std::string upper = LogLevelName(level);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    line = time + " " + upper + " " + std::string(event);
    for (const auto& [key, value] : fields) line += " " + key + "=" + QuoteIfNeeded(value);
  }
  line += '\n';
  std::lock_guard lock(mu_);
  out_ << line << std::flush;
}

}  // namespace gcsim::client
