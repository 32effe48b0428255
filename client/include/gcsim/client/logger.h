// A small structured logger: one line per event, as text for people or JSON for machines.
#pragma once

#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gcsim/common/clock.h"

namespace gcsim::client {

enum class LogFormat { kText, kJson };
enum class LogLevel { kDebug, kInfo, kWarn, kError };

// "text" or "json"; false for anything else.
bool ParseLogFormat(std::string_view text, LogFormat& format);
const char* LogLevelName(LogLevel level);

using LogFields = std::vector<std::pair<std::string, std::string>>;

struct LoggerOptions {
  // Text: `<time> INFO drop conversation=... correlation=...`; JSON: one object per line.
  LogFormat format = LogFormat::kText;
  // Lines below this level are dropped.
  LogLevel min_level = LogLevel::kInfo;
  // When set, takes each event instead of the stream, on the logging thread (the scenario
  // runner writes the reaper's decisions into the journal, between the requests).
  std::function<void(LogLevel, std::string_view event, const LogFields&)> sink;
};

// Thread-safe: each line is written whole under a mutex. Does not own the stream or the clock,
// which must outlive it; the clock stamps each line, so logs follow virtual time in scenarios.
class Logger {
 public:
  Logger(std::ostream& out, const Clock& clock, LoggerOptions options = {});

  void Log(LogLevel level, std::string_view event, const LogFields& fields = {});
  void Debug(std::string_view event, const LogFields& fields = {}) {
    Log(LogLevel::kDebug, event, fields);
  }
  void Info(std::string_view event, const LogFields& fields = {}) {
    Log(LogLevel::kInfo, event, fields);
  }
  void Warn(std::string_view event, const LogFields& fields = {}) {
    Log(LogLevel::kWarn, event, fields);
  }
  void Error(std::string_view event, const LogFields& fields = {}) {
    Log(LogLevel::kError, event, fields);
  }

  LogFormat format() const { return options_.format; }

 private:
  std::ostream& out_;
  const Clock& clock_;
  const LoggerOptions options_;
  std::mutex mu_;
};

}  // namespace gcsim::client
