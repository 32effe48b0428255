#include "gcsim/harness/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "gcsim/harness/report.h"

namespace gcsim::harness {
namespace {

// The plot's geometry, in SVG user units (pixels at 100%).
constexpr int kLabelWidth = 230;
constexpr int kPlotWidth = 900;
constexpr int kRowHeight = 22;
constexpr int kAxisHeight = 34;
constexpr int kChartHeight = 160;
constexpr size_t kHistogramBins = 24;
constexpr size_t kRequestColumns = 150;

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// A short name for a leg: its name and purpose, or the start of its id.
std::string LegLabel(const LegTrace& leg) {
  std::string label = leg.name.empty() ? leg.id.substr(0, 8) : leg.name;
  label.append(" (").append(leg.purpose).append(")");
  return label;
}

// Whether a failure of the scenario is about this leg: its id appears in what was expected,
// what happened, or the journal lines that explain it.
bool LegFailed(const ScenarioResult& result, const LegTrace& leg) {
  for (const Failure& failure : result.failures) {
    if (failure.expectation.find(leg.id) != std::string::npos ||
        failure.actual.find(leg.id) != std::string::npos) {
      return true;
    }
    for (const std::string& line : failure.journal) {
      if (line.find(leg.id) != std::string::npos) return true;
    }
  }
  return false;
}

// Time axis spacing: the smallest of these that keeps to about ten labels.
Duration AxisStep(Duration run_for) {
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  using std::chrono::seconds;
  static const Duration kSteps[] = {
      milliseconds(100), milliseconds(250), milliseconds(500), seconds(1),  seconds(5),
      seconds(10),       seconds(30),       minutes(1),        minutes(2),  minutes(5),
      minutes(10),       minutes(15),       minutes(30),       minutes(60), minutes(120)};
  for (const Duration step : kSteps) {
    if (run_for / step <= 10) return step;
  }
  return run_for / 10;
}

class Plot {
 public:
  explicit Plot(Duration run_for) : run_for_(std::max(run_for, Duration(1))) {}
  double X(Duration t) const {
    const double fraction = static_cast<double>(t.count()) / static_cast<double>(run_for_.count());
    return kLabelWidth + std::clamp(fraction, 0.0, 1.0) * kPlotWidth;
  }
  // Grid lines and time labels from y0 to y1, labels under y1.
  void Axis(std::ostream& out, int y0, int y1) const {
    const Duration step = AxisStep(run_for_);
    for (Duration t{}; t <= run_for_; t += step) {
      out << "<line class=\"grid\" x1=\"" << Number(X(t)) << "\" x2=\"" << Number(X(t))
          << "\" y1=\"" << y0 << "\" y2=\"" << y1 << "\"/>"
          << "<text class=\"axis\" x=\"" << Number(X(t)) << "\" y=\"" << y1 + 14
          << "\" text-anchor=\"middle\">" << Escape(FormatDuration(t)) << "</text>\n";
      if (step.count() <= 0) break;
    }
  }

 private:
  Duration run_for_;
};

const char* SampleClass(LegSample sample) {
  switch (sample) {
    case LegSample::kHeard: return "heard";
    case LegSample::kSilent: return "silent";
    case LegSample::kMuted: return "muted";
    case LegSample::kHeld: return "held";
    case LegSample::kGone: return "gone";
    case LegSample::kAbsent: return nullptr;
  }
  return nullptr;
}

// The PATCH marker's class and words.
std::pair<const char*, std::string> PatchLook(const PatchTrace& patch, Duration idle_timeout) {
  std::ostringstream text;
  text << (patch.drop ? "drop request" : "PATCH") << " at " << FormatDuration(patch.at) << " by "
       << (patch.client_id.empty() ? "?" : patch.client_id) << " answered " << patch.status;
  if (!patch.ignored_fields.empty()) {
    text << "; ignored:";
    for (const std::string& field : patch.ignored_fields) text << ' ' << field;
  }
  if (patch.drop) text << "; the leg had been silent " << FormatDuration(patch.silent_for);
  const bool success = patch.status >= 200 && patch.status < 300;
  if (patch.early && success) {
    text << " (EARLY: heard within the idle timeout)";
    return {"early", text.str()};
  }
  if (patch.drop && patch.silent_for < idle_timeout && !patch.early) {
    text << " (heard only while the answer to the client's newest read was on its way)";
  }
  if (!success) return {"refused", text.str()};
  if (patch.changed_nothing) {
    text << " and changed nothing";
    return {"noop", text.str()};
  }
  return {patch.drop ? "drop" : "patch", text.str()};
}

void Triangle(std::ostream& out, double x, int y, const char* cls, const std::string& title) {
  out << "<path class=\"mark " << cls << "\" d=\"M" << Number(x - 5) << ' ' << y + 1 << " L"
      << Number(x + 5) << ' ' << y + 1 << " L" << Number(x) << ' ' << y + 10 << " Z\"><title>"
      << Escape(title) << "</title></path>";
}

void LegTimeline(std::ostream& out, const ScenarioResult& result, const ScenarioTrace& trace) {
  const Plot plot(trace.run_for);
  const int rows = static_cast<int>(trace.legs.size());
  const int height = kAxisHeight + rows * kRowHeight + 24;
  out << "<svg class=\"timeline\" width=\"" << kLabelWidth + kPlotWidth + 20 << "\" height=\""
      << height << "\" viewBox=\"0 0 " << kLabelWidth + kPlotWidth + 20 << ' ' << height
      << "\" role=\"img\" aria-label=\"timeline per leg\">\n";
  const int top = kAxisHeight;
  const int bottom = top + rows * kRowHeight;
  plot.Axis(out, top - 6, bottom);
  // The reaper's ticks along the top.
  out << "<text class=\"axis\" x=\"" << kLabelWidth - 6 << "\" y=\"" << top - 10
      << "\" text-anchor=\"end\">reaper ticks (" << trace.ticks.size() << ")</text>";
  for (const Duration tick : trace.ticks) {
    out << "<line class=\"tick\" x1=\"" << Number(plot.X(tick)) << "\" x2=\""
        << Number(plot.X(tick)) << "\" y1=\"" << top - 16 << "\" y2=\"" << top - 6
        << "\"><title>reaper tick at " << Escape(FormatDuration(tick)) << "</title></line>";
  }
  out << '\n';

  for (int i = 0; i < rows; ++i) {
    const LegTrace& leg = trace.legs[static_cast<size_t>(i)];
    const int y = top + i * kRowHeight;
    const bool failed = LegFailed(result, leg);
    out << "<g class=\"leg" << (failed ? " failed" : "") << "\" data-leg-id=\"" << Escape(leg.id)
        << "\">";
    if (failed) {
      out << "<rect class=\"failed-row\" x=\"2\" y=\"" << y << "\" width=\""
          << kLabelWidth + kPlotWidth + 14 << "\" height=\"" << kRowHeight << "\"/>";
    }
    out << "<text class=\"label\" x=\"" << kLabelWidth - 6 << "\" y=\"" << y + 15
        << "\" text-anchor=\"end\">" << (failed ? "&#x2717; " : "") << Escape(LegLabel(leg))
        << "<title>" << Escape(leg.id) << "</title></text>";
    // Runs of equal samples become one bar each.
    for (size_t k = 0; k < leg.samples.size();) {
      size_t end = k;
      while (end < leg.samples.size() && leg.samples[end] == leg.samples[k]) ++end;
      if (const char* cls = SampleClass(leg.samples[k])) {
        const Duration from = trace.step * static_cast<Duration::rep>(k);
        const Duration to =
            std::min(trace.step * static_cast<Duration::rep>(end), trace.run_for);
        out << "<rect class=\"" << cls << "\" x=\"" << Number(plot.X(from)) << "\" y=\"" << y + 4
            << "\" width=\"" << Number(std::max(plot.X(to) - plot.X(from), 0.5))
            << "\" height=\"" << kRowHeight - 8 << "\"><title>" << cls << ' '
            << Escape(FormatDuration(from)) << " to " << Escape(FormatDuration(to))
            << "</title></rect>";
      }
      k = end;
    }
    for (const Duration idle : leg.idle_at) {
      out << "<line class=\"idle\" x1=\"" << Number(plot.X(idle)) << "\" x2=\""
          << Number(plot.X(idle)) << "\" y1=\"" << y + 1 << "\" y2=\"" << y + kRowHeight - 1
          << "\"><title>silent for the idle timeout (" << Escape(FormatDuration(trace.idle_timeout))
          << ") at " << Escape(FormatDuration(idle)) << "</title></line>";
    }
    if (leg.ended_at) {
      out << "<rect class=\"landed" << (leg.disconnect_type == "client" ? " client" : "")
          << "\" x=\"" << Number(plot.X(*leg.ended_at) - 1.5) << "\" y=\"" << y + 2
          << "\" width=\"3\" height=\"" << kRowHeight - 4 << "\"><title>disconnected at "
          << Escape(FormatDuration(*leg.ended_at));
      if (!leg.disconnect_type.empty()) {
        out << " (disconnectType " << Escape(leg.disconnect_type) << ")";
      }
      out << "</title></rect>";
    }
    for (const PatchTrace& patch : trace.patches) {
      const bool mine = patch.participant_id.empty() ? patch.conversation_id == leg.conversation_id
                                                     : patch.participant_id == leg.id;
      if (!mine) continue;
      const auto [cls, title] = PatchLook(patch, trace.idle_timeout);
      Triangle(out, plot.X(patch.at), y, cls, title);
    }
    for (const LegWarning& warning : leg.warnings) {
      out << "<circle class=\"warning\" cx=\"" << Number(plot.X(warning.at)) << "\" cy=\""
          << y + kRowHeight / 2 << "\" r=\"5\"><title>" << Escape(FormatDuration(warning.at))
          << ": " << Escape(warning.text) << "</title></circle>";
    }
    out << "</g>\n";
  }
  out << "</svg>\n";
  out << "<p class=\"legend\"><span class=\"key heard\"></span>heard "
         "<span class=\"key silent\"></span>silent <span class=\"key muted\"></span>muted "
         "<span class=\"key held\"></span>held <span class=\"key idle\"></span>idle timeout "
         "reached <span class=\"key drop\"></span>drop (2xx) "
         "<span class=\"key noop\"></span>2xx that changed nothing "
         "<span class=\"key early\"></span>early drop <span class=\"key refused\"></span>refused "
         "<span class=\"key landed\"></span>leg gone <span class=\"key warning\"></span>reaper "
         "warning (stuck, unreachable). Hover for times.</p>\n";
}

void LatenessHistogram(std::ostream& out, const ScenarioTrace& trace) {
  const std::vector<Duration>& values = trace.lateness;  // sorted
  out << "<h4>Lateness of each first drop (" << values.size() << " drops)</h4>\n";
  if (values.empty()) {
    out << "<p class=\"muted\">No drop to measure.</p>\n";
    return;
  }
  const Duration low = values.front();
  const Duration high = values.back();
  // Bins of a round width (1, 2 or 5 times a power of ten ms), from a multiple of it.
  Duration width(1);
  while ((high - low) / width >= static_cast<Duration::rep>(kHistogramBins)) {
    const Duration::rep w = width.count();
    const Duration::rep digit = w / static_cast<Duration::rep>(std::pow(10, std::floor(std::log10(w))));
    width = Duration(digit == 2 ? w / 2 * 5 : w * 2);
  }
  const Duration first = Duration((low.count() >= 0 ? low.count() : low.count() - width.count() + 1) /
                                  width.count() * width.count());
  const size_t used = static_cast<size_t>((high - first) / width) + 1;
  std::vector<size_t> bins(std::min(used, kHistogramBins), 0);
  for (const Duration value : values) {
    ++bins[std::min(static_cast<size_t>((value - first) / width), bins.size() - 1)];
  }
  const size_t most = *std::max_element(bins.begin(), bins.end());
  const int bar_width = kPlotWidth / static_cast<int>(kHistogramBins);
  const int height = kChartHeight + 40;
  out << "<svg class=\"chart lateness\" width=\"" << kLabelWidth + kPlotWidth + 20
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << kLabelWidth + kPlotWidth + 20 << ' '
      << height << "\" role=\"img\" aria-label=\"lateness histogram\">\n";
  out << "<text class=\"axis\" x=\"" << kLabelWidth - 6 << "\" y=\"14\" text-anchor=\"end\">"
      << most << " drops</text><text class=\"axis\" x=\"" << kLabelWidth - 6 << "\" y=\""
      << kChartHeight << "\" text-anchor=\"end\">0</text>\n";
  for (size_t i = 0; i < bins.size(); ++i) {
    const Duration from = first + width * static_cast<Duration::rep>(i);
    const double bar = most == 0 ? 0 : static_cast<double>(bins[i]) / most * (kChartHeight - 10);
    const int x = kLabelWidth + static_cast<int>(i) * bar_width;
    out << "<rect class=\"bin\" x=\"" << x + 1 << "\" y=\"" << Number(kChartHeight - bar)
        << "\" width=\"" << bar_width - 2 << "\" height=\"" << Number(bar) << "\"><title>"
        << bins[i] << " drops " << Escape(FormatDuration(from)) << " to "
        << Escape(FormatDuration(from + width)) << " late</title></rect>";
    if (i % 4 == 0 || i + 1 == bins.size()) {
      out << "<text class=\"axis\" x=\"" << x << "\" y=\"" << kChartHeight + 16 << "\">"
          << Escape(FormatDuration(from)) << "</text>";
    }
  }
  out << "</svg>\n<p class=\"muted\">p50 " << Escape(FormatDuration(values[values.size() / 2]))
      << ", max " << Escape(FormatDuration(high))
      << ": a first drop's time minus the moment its leg had been silent for the idle timeout.</p>\n";
}

void RequestsOverTime(std::ostream& out, const ScenarioTrace& trace) {
  const size_t samples = trace.samples;
  size_t total_ok = 0, total_throttled = 0, total_failed = 0;
  for (size_t i = 0; i < samples; ++i) {
    total_ok += trace.requests_ok[i];
    total_throttled += trace.requests_throttled[i];
    total_failed += trace.requests_failed[i];
  }
  out << "<h4>Requests over time (" << total_ok + total_throttled + total_failed << ": "
      << total_ok << " answered, " << total_throttled << " 429, " << total_failed
      << " other errors)</h4>\n";
  if (samples == 0) return;
  const size_t per_column = (samples + kRequestColumns - 1) / kRequestColumns;
  const size_t columns = (samples + per_column - 1) / per_column;
  struct Column {
    int ok = 0, throttled = 0, failed = 0;
  };
  std::vector<Column> sums(columns);
  for (size_t i = 0; i < samples; ++i) {
    sums[i / per_column].ok += trace.requests_ok[i];
    sums[i / per_column].throttled += trace.requests_throttled[i];
    sums[i / per_column].failed += trace.requests_failed[i];
  }
  int most = 1;
  for (const Column& c : sums) most = std::max(most, c.ok + c.throttled + c.failed);
  const Plot plot(trace.run_for);
  const Duration span = trace.step * static_cast<Duration::rep>(per_column);
  const int height = kChartHeight + 40;
  out << "<svg class=\"chart requests\" width=\"" << kLabelWidth + kPlotWidth + 20
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << kLabelWidth + kPlotWidth + 20 << ' '
      << height << "\" role=\"img\" aria-label=\"requests over time\">\n";
  out << "<text class=\"axis\" x=\"" << kLabelWidth - 6 << "\" y=\"14\" text-anchor=\"end\">"
      << most << " per " << Escape(FormatDuration(span)) << "</text>\n";
  plot.Axis(out, 4, kChartHeight);
  for (size_t i = 0; i < columns; ++i) {
    const Duration from = span * static_cast<Duration::rep>(i);
    const double x = plot.X(from);
    const double w = std::max(plot.X(from + span) - x - 0.5, 0.5);
    double y = kChartHeight;
    for (const auto& [cls, count] : {std::pair{"ok", sums[i].ok},
                                     std::pair{"throttled", sums[i].throttled},
                                     std::pair{"failed", sums[i].failed}}) {
      if (count == 0) continue;
      const double h = static_cast<double>(count) / most * (kChartHeight - 10);
      y -= h;
      out << "<rect class=\"" << cls << "\" x=\"" << Number(x) << "\" y=\"" << Number(y)
          << "\" width=\"" << Number(w) << "\" height=\"" << Number(h) << "\"><title>" << count
          << ' ' << cls << " from " << Escape(FormatDuration(from)) << "</title></rect>";
    }
  }
  out << "</svg>\n";
}

void ScenarioSection(std::ostream& out, const ScenarioResult& r, size_t index) {
  out << "<section class=\"scenario " << (r.passed ? "pass" : "fail") << "\" id=\"scenario-"
      << index << "\">\n<h2><span class=\"verdict\">" << Verdict(r) << "</span> "
      << Escape(r.name) << "</h2>\n<p class=\"muted\">" << Escape(r.path) << " &middot; simulated "
      << Escape(FormatDuration(r.simulated)) << " &middot; " << r.expectations
      << " expectation(s) &middot; drops " << r.metrics.drops << ", verified "
      << r.metrics.verified << ", stuck " << r.metrics.stuck << ", requests "
      << r.metrics.requests + r.metrics.script_requests << ", early drops "
      << r.metrics.early_drops << ", max lateness " << Escape(FormatDuration(r.metrics.max_lateness))
      << "</p>\n";
  if (!r.error.empty()) {
    out << "<div class=\"failure\"><b>could not run:</b> " << Escape(r.error) << "</div>\n";
  }
  for (const Failure& f : r.failures) {
    out << "<div class=\"failure\"><div><b>expected</b> " << Escape(f.expectation)
        << " <span class=\"muted\">(" << Escape(f.pointer) << ")</span></div><div><b>got</b> "
        << Escape(f.actual) << "</div>";
    if (!f.journal.empty()) {
      out << "<pre>";
      for (const std::string& line : f.journal) out << Escape(line) << '\n';
      out << "</pre>";
    }
    out << "</div>\n";
  }
  for (const std::string& note : r.notes) {
    out << "<div class=\"note\">" << Escape(note) << "</div>\n";
  }
  if (!r.trace) {
    // The scenario could not start, or the run was not asked to record.
  } else if (r.trace->per_leg && !r.trace->legs.empty()) {
    LegTimeline(out, r, *r.trace);
  } else if (r.trace->per_leg) {
    out << "<p class=\"muted\">No legs.</p>\n";
  } else {
    const ScenarioTrace& trace = *r.trace;
    out << "<p class=\"muted\">More than " << kMaxTracedLegs
        << " legs: the run's figures instead of a row per leg.</p>\n";
    LatenessHistogram(out, trace);
    RequestsOverTime(out, trace);
  }
  out << "</section>\n";
}

constexpr char kStyle[] = R"(
body { font: 14px/1.4 system-ui, sans-serif; color: #1d232b; margin: 20px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin: 0 0 4px; } h4 { margin: 12px 0 4px; }
table.summary { border-collapse: collapse; margin-bottom: 16px; }
table.summary td, table.summary th { padding: 3px 12px; border-bottom: 1px solid #e3e7eb; text-align: left; }
.scenario { border: 1px solid #d9dee4; border-radius: 6px; padding: 10px 14px; margin: 14px 0; }
.scenario.fail { border-color: #b3261e; box-shadow: 0 0 0 2px #fdecea; }
.verdict { display: inline-block; padding: 0 8px; border-radius: 8px; color: #fff; background: #1f7a3f; font-size: 12px; }
.fail .verdict, .summary .FAIL, .summary .ERROR { background: #b3261e; color: #fff; }
.summary .PASS { background: #1f7a3f; color: #fff; }
.summary .XFAIL { background: #5f6368; color: #fff; }
.summary .verdict-cell { padding: 0 8px; border-radius: 8px; font-size: 12px; }
.muted { color: #68717d; }
.failure { background: #fdecea; border-left: 4px solid #b3261e; padding: 6px 10px; margin: 6px 0; }
.failure pre { margin: 6px 0 0; font-size: 12px; white-space: pre-wrap; }
.note { background: #fff6e5; border-left: 4px solid #a45a00; padding: 4px 10px; margin: 4px 0; }
svg { max-width: 100%; height: auto; }  /* narrower windows scale the pictures down */
svg text { font: 11px system-ui, sans-serif; fill: #1d232b; }
svg .axis { fill: #68717d; }
svg .grid { stroke: #eef1f4; }
svg .tick { stroke: #68717d; }
svg .heard { fill: #2e9e5b; } svg .silent { fill: #d5dae0; } svg .muted { fill: #f0a030; }
svg .held { fill: #8a63d2; } svg .gone { fill: none; }
svg .idle { stroke: #b3261e; stroke-width: 2; stroke-dasharray: 3 2; }
svg .landed { fill: #68717d; } svg .landed.client { fill: #1d232b; }
svg .mark { stroke: #1d232b; stroke-width: .8; }
svg .mark.drop { fill: #2457a6; } svg .mark.patch { fill: #9fb6dd; } svg .mark.noop { fill: #f6c453; }
svg .mark.early { fill: #b3261e; stroke-width: 2; } svg .mark.refused { fill: #fff; }
svg .warning { fill: #b3261e; stroke: #fff; }
svg .failed-row { fill: #fdecea; stroke: #b3261e; }
svg .bin, svg .ok { fill: #2457a6; } svg .throttled { fill: #f0a030; } svg .failed { fill: #b3261e; }
.legend { font-size: 12px; color: #68717d; }
.key { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; }
.key.heard { background: #2e9e5b; } .key.silent { background: #d5dae0; } .key.muted { background: #f0a030; }
.key.held { background: #8a63d2; } .key.idle { border-left: 2px dashed #b3261e; width: 2px; }
.key.drop { background: #2457a6; } .key.noop { background: #f6c453; } .key.early { background: #b3261e; }
.key.refused { border: 1px solid #1d232b; } .key.landed { background: #1d232b; width: 3px; }
.key.warning { background: #b3261e; border-radius: 50%; width: 10px; }
)";

}  // namespace

std::string HtmlReport(const std::vector<ScenarioResult>& results) {
  size_t failed = 0;
  for (const ScenarioResult& r : results) failed += !r.passed;
  std::ostringstream out;
  out << "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>gcsim run: "
      << results.size() << " scenario(s), " << failed << " failed</title>\n<style>" << kStyle
      << "</style>\n</head>\n<body>\n<h1>gcsim run: " << results.size() << " scenario(s), "
      << failed << " failed</h1>\n<table class=\"summary\"><tr><th>scenario</th><th>result</th>"
         "<th>simulated</th><th>wall</th><th>drops</th><th>requests</th></tr>\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const ScenarioResult& r = results[i];
    out << "<tr><td><a href=\"#scenario-" << i << "\">" << Escape(r.name)
        << "</a></td><td><span class=\"verdict-cell " << Verdict(r) << "\">" << Verdict(r)
        << "</span></td><td>" << Escape(FormatDuration(r.simulated)) << "</td><td>"
        << Escape(FormatDuration(r.wall)) << "</td><td>" << r.metrics.drops << "</td><td>"
        << r.metrics.requests + r.metrics.script_requests << "</td></tr>\n";
  }
  out << "</table>\n";
  for (size_t i = 0; i < results.size(); ++i) ScenarioSection(out, results[i], i);
  out << "</body>\n</html>\n";
  return out.str();
}

Status WriteHtml(const std::string& path, const std::vector<ScenarioResult>& results) {
  std::ofstream out(path);
  if (!out) return InvalidArgumentError(path + ": cannot write the HTML report");
  out << HtmlReport(results);
  out.close();
  if (!out) return InvalidArgumentError(path + ": could not write the HTML report");
  return Status::Ok();
}

}  // namespace gcsim::harness
