#include "gcsim/harness/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>

#include "gcsim/common/strings.h"

namespace gcsim::harness {
namespace {

std::string Seconds(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

// Left-aligned in `width`, and never run into the next column.
std::string Pad(std::string text, size_t width) {
  text.append(text.size() < width ? width - text.size() : 1, ' ');
  return text;
}

// Simulated time per wall time: "x59.7", "x120", "x123456".
std::string Speed(double speed) {
  char buf[32];
  std::snprintf(buf, sizeof buf, speed >= 100 ? "x%.0f" : "x%.1f", speed);
  return buf;
}

// An external client's run in a line: what ran, at what speed, how it ended.
std::string ClientLine(const ClientReport& client) {
  char scale[32];
  std::snprintf(scale, sizeof scale, "%g", client.time_scale);
  return "client: " + client.command + " (time scale x" + scale +
         "): " + (client.exit.empty() ? "did not run" : client.exit);
}

// The last `count` lines of `text`, each indented.
std::string LastLines(const std::string& text, size_t count, const std::string& indent) {
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '\n') --end;
  size_t start = end;
  for (size_t seen = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++seen == count) break;
  }
  std::string out;
  for (size_t pos = start; pos < end;) {
    const size_t newline = std::min(text.find('\n', pos), end);
    out += indent + text.substr(pos, newline - pos) + "\n";
    pos = newline + 1;
  }
  return out;
}

// Escaped for XML 1.0 text and attributes. Control characters (other than tab and newlines)
// cannot appear in XML 1.0 even as references, and invalid UTF-8 would make the file unreadable:
// both become U+FFFD.
std::string XmlEscape(const std::string& text) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\t': case '\n': case '\r': out += static_cast<char>(c); break;
        default:
          if (IsControlChar(c)) {
            out += kReplacement;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // A multi-byte sequence: its length from the lead byte, then continuation bytes.
    const size_t length = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (valid && length >= 3) {
      const auto second = static_cast<unsigned char>(text[i + 1]);
      valid = !(c == 0xE0 && second < 0xA0) && !(c == 0xED && second >= 0xA0) &&  // overlong, surrogates
              !(c == 0xF0 && second < 0x90) && !(c == 0xF4 && second >= 0x90);   // overlong, > U+10FFFF
      // U+FFFE and U+FFFF are not XML characters either.
      valid = valid && !(c == 0xEF && second == 0xBF && (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xBE);
    }
    if (valid) {
      out.append(text, i, length);
      i += length;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

// Text from requests may hold invalid UTF-8, on which a plain dump() throws.
std::string Dump(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FailureText(const Failure& f) {
  std::string text = f.pointer + ": expected " + f.expectation + "; got " + f.actual;
  for (const std::string& line : f.journal) text += "\n    " + line;
  return text;
}

}  // namespace

const char* Verdict(const ScenarioResult& r) {
  if (!r.error.empty()) return "ERROR";
  if (r.passed && r.expected_failure) return "XFAIL";
  return r.passed ? "PASS" : "FAIL";
}

void PrintReport(std::ostream& out, const std::vector<ScenarioResult>& results, bool verbose) {
  size_t width = 8;
  for (const auto& r : results) width = std::max(width, r.name.size());
  out << Pad("SCENARIO", width + 2) << Pad("RESULT", 8) << Pad("SIMULATED", 11) << Pad("WALL", 9)
      << Pad("SPEED", 9) << Pad("DROPS", 8) << "REQUESTS\n";
  size_t passed = 0;
  for (const auto& r : results) {
    passed += r.passed;
    out << Pad(r.name, width + 2) << Pad(Verdict(r), 8) << Pad(FormatDuration(r.simulated), 11)
        << Pad(Seconds(r.wall) + "s", 9) << Pad(Speed(r.speed), 9)
        << Pad(std::to_string(r.metrics.drops), 8)
        << r.metrics.requests + r.metrics.script_requests << "\n";
  }
  for (const auto& r : results) {
    if (r.passed && !r.expected_failure) continue;
    out << "\n" << Verdict(r) << " " << r.name << " (" << r.path << ")"
        << (r.expected_failure && r.passed ? ": fails as the scenario expects" : "") << "\n";
    if (!r.error.empty()) out << "  " << r.error << "\n";
    for (const Failure& f : r.failures) out << "  " << FailureText(f) << "\n";
    for (const std::string& finding : r.findings) out << "  finding: " << finding << "\n";
    for (const std::string& note : r.notes) out << "  note: " << note << "\n";
    if (r.client) {
      out << "  " << ClientLine(*r.client) << "\n";
      if (verbose) {
        if (!r.client->out.empty()) out << "  client stdout:\n" << LastLines(r.client->out, SIZE_MAX, "    ");
        if (!r.client->err.empty()) out << "  client stderr:\n" << LastLines(r.client->err, SIZE_MAX, "    ");
      } else if (!r.client->err.empty() && r.error.empty()) {
        out << "  client stderr (last lines; -v for all):\n" << LastLines(r.client->err, 8, "    ");
      }
    }
    if (verbose && !r.journal.empty()) {
      out << "  journal:\n";
      for (const auto& entry : r.journal) out << "    " << Dump(core::ToJson(entry)) << "\n";
    }
  }
  out << "\n" << passed << " passed, " << results.size() - passed << " failed\n";
}

Status WriteJunit(const std::string& path, const std::vector<ScenarioResult>& results) {
  std::ofstream out(path);
  if (!out) return InvalidArgumentError(path + ": cannot write the JUnit report");
  size_t failures = 0, errors = 0;
  Duration total{};
  for (const auto& r : results) {
    failures += r.error.empty() && !r.passed;  // an expected failure passes
    errors += !r.error.empty();
    total += r.wall;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"gcsim\" tests=\"" << results.size() << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" time=\"" << Seconds(total) << "\">\n"
      << "  <testsuite name=\"gcsim.scenarios\" tests=\"" << results.size() << "\" failures=\""
      << failures << "\" errors=\"" << errors << "\" time=\"" << Seconds(total) << "\">\n";
  for (const auto& r : results) {
    out << "    <testcase classname=\"gcsim.scenarios\" name=\"" << XmlEscape(r.name)
        << "\" file=\"" << XmlEscape(r.path) << "\" time=\"" << Seconds(r.wall) << "\">\n";
    out << "      <properties>\n"
        << "        <property name=\"speed\" value=\"" << Speed(r.speed) << "\"/>\n";
    if (r.client) {
      out << "        <property name=\"client.command\" value=\"" << XmlEscape(r.client->command) << "\"/>\n"
          << "        <property name=\"client.exit\" value=\"" << XmlEscape(r.client->exit) << "\"/>\n";
    }
    out << "      </properties>\n";
    if (!r.error.empty()) {
      out << "      <error message=\"" << XmlEscape(r.error) << "\"/>\n";
    }
    // An expected failure passes: what failed goes to system-out, where it is shown.
    std::string expected;
    for (const Failure& f : r.failures) {
      if (r.expected_failure && r.passed) {
        expected += "expected failure: " + FailureText(f) + "\n";
        continue;
      }
      out << "      <failure message=\"" << XmlEscape("expected " + f.expectation + "; got " + f.actual)
          << "\">" << XmlEscape(FailureText(f)) << "</failure>\n";
    }
    for (const std::string& finding : r.findings) expected += "finding: " + finding + "\n";
    std::string system_out = expected;
    if (r.client) system_out += ClientLine(*r.client) + "\n" + r.client->out;
    if (!system_out.empty()) out << "      <system-out>" << XmlEscape(system_out) << "</system-out>\n";
    if (r.client && !r.client->err.empty()) {
      out << "      <system-err>" << XmlEscape(r.client->err) << "</system-err>\n";
    }
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
  return out ? Status::Ok() : InvalidArgumentError(path + ": write failed");
}

nlohmann::json MetricsJson(const RunMetrics& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : NamedMetrics(metrics)) {
    // Only ratios are fractional.
    out[name] = value == std::floor(value) ? nlohmann::json(static_cast<int64_t>(value))
                                           : nlohmann::json(value);
  }
  return out;
}

Status WriteJson(const std::string& path, const std::vector<ScenarioResult>& results) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : results) {
    nlohmann::json failures = nlohmann::json::array();
    for (const Failure& f : r.failures) {
      failures.push_back({{"expectation", f.expectation}, {"pointer", f.pointer},
                          {"actual", f.actual}, {"journal", f.journal}});
    }
    nlohmann::json item = {{"name", r.name}, {"path", r.path}, {"result", Verdict(r)},
                           {"simulated", FormatDuration(r.simulated)}, {"wallMs", r.wall.count()},
                           {"speed", r.speed},
                           {"expectations", r.expectations}, {"failures", failures},
                           {"metrics", MetricsJson(r.metrics)}};
    if (!r.error.empty()) item["error"] = r.error;
    if (r.expected_failure) item["expectFailure"] = true;
    if (!r.findings.empty()) item["findings"] = r.findings;
    if (!r.notes.empty()) item["notes"] = r.notes;
    if (r.client) {
      nlohmann::json client = {{"command", r.client->command}, {"timeScale", r.client->time_scale},
                               {"exit", r.client->exit}, {"stdout", r.client->out},
                               {"stderr", r.client->err}};
      if (r.client->exit_code) client["exitCode"] = *r.client->exit_code;
      if (r.client->exit_signal) client["exitSignal"] = *r.client->exit_signal;
      item["client"] = std::move(client);
    }
    list.push_back(std::move(item));
  }
  std::ofstream out(path);
  if (!out) return InvalidArgumentError(path + ": cannot write the JSON report");
  out << Dump(nlohmann::json{{"scenarios", list}}, 2) << "\n";
  return out ? Status::Ok() : InvalidArgumentError(path + ": write failed");
}

}  // namespace gcsim::harness
