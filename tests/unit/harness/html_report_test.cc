// `gcsim run --html`: the trace the runner records and the page drawn from it, checked by
// content (what a reader must find), not by pixels.
#include "gcsim/harness/html_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "gcsim/harness/scenario.h"

namespace gcsim::harness {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kSupervisor[] = "9f8e7d6c-5b4a-3210-abcd-ef1234567890";
constexpr char kCustomer[] = "1a2b3c4d-0000-4000-8000-000000000001";

ScenarioResult RunFile(const std::string& name) {
  auto scenario = LoadScenarioFile(std::string(GCSIM_SCENARIOS_DIR) + "/" + name);
  EXPECT_TRUE(scenario.ok()) << scenario.status().message();
  if (!scenario.ok()) return {};
  return RunScenario(*scenario, {.trace = true});
}

const LegTrace* FindLeg(const ScenarioTrace& trace, const std::string& id) {
  for (const LegTrace& leg : trace.legs) {
    if (leg.id == id) return &leg;
  }
  return nullptr;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST(TraceTest, RecordsEachLegTheReaperTicksAndTheDrop) {
  const ScenarioResult result = RunFile("seed-fixed-with-reaper.json");
  ASSERT_TRUE(result.passed);
  ASSERT_NE(result.trace, nullptr);
  const ScenarioTrace& trace = *result.trace;
  EXPECT_TRUE(trace.per_leg);
  EXPECT_EQ(trace.run_for, minutes(30));
  EXPECT_EQ(trace.idle_timeout, minutes(10));
  ASSERT_EQ(trace.legs.size(), 3u);
  EXPECT_EQ(trace.ticks.front(), Duration{});
  EXPECT_EQ(trace.ticks.size(), 120u);  // every 15s for 30m

  const LegTrace* supervisor = FindLeg(trace, kSupervisor);
  ASSERT_NE(supervisor, nullptr);
  EXPECT_EQ(supervisor->name, "Sam Supervisor");
  ASSERT_EQ(supervisor->samples.size(), trace.samples);
  EXPECT_EQ(std::count(supervisor->samples.begin(), supervisor->samples.end(), LegSample::kHeard),
            0);
  EXPECT_EQ(supervisor->samples.front(), LegSample::kSilent);
  EXPECT_EQ(supervisor->samples.back(), LegSample::kGone);
  EXPECT_EQ(supervisor->idle_at, std::vector<Duration>{minutes(10)});
  ASSERT_TRUE(supervisor->ended_at.has_value());
  EXPECT_GE(*supervisor->ended_at, minutes(10));
  EXPECT_LE(*supervisor->ended_at, minutes(10) + seconds(16));
  EXPECT_EQ(supervisor->disconnect_type, "client");

  // The customer talks 20s of every 45s: heard and silent alternate, never idle, never dropped.
  const LegTrace* customer = FindLeg(trace, kCustomer);
  ASSERT_NE(customer, nullptr);
  EXPECT_GT(std::count(customer->samples.begin(), customer->samples.end(), LegSample::kHeard), 100);
  EXPECT_GT(std::count(customer->samples.begin(), customer->samples.end(), LegSample::kSilent), 100);
  EXPECT_TRUE(customer->idle_at.empty());
  EXPECT_FALSE(customer->ended_at.has_value());

  ASSERT_EQ(trace.patches.size(), 1u);
  EXPECT_TRUE(trace.patches[0].drop);
  EXPECT_EQ(trace.patches[0].participant_id, kSupervisor);
  EXPECT_EQ(trace.patches[0].status, 202);
  EXPECT_GE(trace.patches[0].silent_for, minutes(10));
  size_t requests = 0;
  for (size_t i = 0; i < trace.samples; ++i) requests += trace.requests_ok[i];
  EXPECT_GT(requests, 100u);
}

TEST(TraceTest, NotRecordedUnlessAsked) {
  auto scenario = LoadScenarioFile(std::string(GCSIM_SCENARIOS_DIR) + "/seed-naive-patch.json");
  ASSERT_TRUE(scenario.ok());
  EXPECT_EQ(RunScenario(*scenario).trace, nullptr);
}

TEST(HtmlReportTest, DrawsATimelinePerLegWithNoScript) {
  const std::string page = HtmlReport({RunFile("seed-fixed-with-reaper.json")});
  EXPECT_EQ(page.rfind("<!doctype html>", 0), 0u);
  EXPECT_EQ(page.find("<script"), std::string::npos) << "self-contained and static";
  EXPECT_EQ(page.find("http://"), std::string::npos) << "nothing from outside";
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(Count(page, "<svg class=\"timeline\""), 1u);
  EXPECT_EQ(Count(page, "<g class=\"leg"), 3u);
  EXPECT_NE(page.find("Sam Supervisor (user)"), std::string::npos);
  EXPECT_NE(page.find("Casey Customer (customer)"), std::string::npos);
  EXPECT_NE(page.find("reaper ticks (120)"), std::string::npos);
  EXPECT_EQ(Count(page, "<line class=\"tick\""), 120u);
  EXPECT_NE(page.find("silent for the idle timeout (10m) at 10m"), std::string::npos);
  EXPECT_NE(page.find("class=\"mark drop\""), std::string::npos);
  EXPECT_NE(page.find("answered 202"), std::string::npos);
  EXPECT_NE(page.find("(disconnectType client)"), std::string::npos);
  EXPECT_NE(page.find("<rect class=\"heard\""), std::string::npos);
  EXPECT_EQ(page.find("class=\"failure\""), std::string::npos) << "it passed";
  EXPECT_EQ(page.find("<rect class=\"failed-row\""), std::string::npos);
}

TEST(HtmlReportTest, ShowsTheNaivePatchAsChangingNothing) {
  const std::string page = HtmlReport({RunFile("seed-naive-patch.json")});
  EXPECT_NE(page.find("class=\"mark noop\""), std::string::npos);
  EXPECT_NE(page.find("ignored: dispositionCode dropReason"), std::string::npos);
  EXPECT_NE(page.find("and changed nothing"), std::string::npos);
}

TEST(HtmlReportTest, HighlightsAFailureWithItsExpectation) {
  auto scenario = LoadScenarioFile(std::string(GCSIM_SCENARIOS_DIR) + "/seed-fixed-with-reaper.json");
  ASSERT_TRUE(scenario.ok());
  // Expect the wrong window: the drop lands at about 10m, not by 5m.
  for (Expectation& e : scenario->expectations) {
    if (e.kind == Expectation::Kind::kLegDisconnectedBetween) e.to = minutes(5);
  }
  const ScenarioResult result = RunScenario(*scenario, {.trace = true});
  ASSERT_FALSE(result.passed);
  const std::string page = HtmlReport({result});
  EXPECT_NE(page.find("<span class=\"verdict\">FAIL</span>"), std::string::npos);
  EXPECT_NE(page.find("1 failed</h1>"), std::string::npos);
  ASSERT_NE(page.find("class=\"failure\""), std::string::npos);
  std::string expected;  // the expectation as the page escapes it
  for (const char c : result.failures[0].expectation) {
    if (c == '"') expected += "&quot;";
    else if (c == '\'') expected += "&#39;";
    else if (c == '<') expected += "&lt;";
    else if (c == '>') expected += "&gt;";
    else if (c == '&') expected += "&amp;";
    else expected += c;
  }
  EXPECT_NE(page.find(expected), std::string::npos) << expected;
  // The failing leg's row is marked, the others are not.
  EXPECT_EQ(Count(page, "<rect class=\"failed-row\""), 1u);
  const size_t row = page.find(std::string("data-leg-id=\"") + kSupervisor + "\"");
  ASSERT_NE(row, std::string::npos);
  EXPECT_LT(page.rfind("<g class=\"leg failed\"", row), row);
  EXPECT_EQ(page.rfind("<g class=\"leg failed\"", row), page.rfind("<g class=\"leg", row));
}

TEST(HtmlReportTest, LargeScenariosGetFiguresInsteadOfRows) {
  const ScenarioResult result = RunFile("rate-limited-drain.json");
  ASSERT_NE(result.trace, nullptr);
  EXPECT_FALSE(result.trace->per_leg);
  EXPECT_TRUE(result.trace->legs.empty());
  EXPECT_EQ(result.trace->lateness.size(), result.metrics.drops);
  const std::string page = HtmlReport({result});
  EXPECT_EQ(page.find("<svg class=\"timeline\""), std::string::npos);
  EXPECT_NE(page.find("<svg class=\"chart lateness\""), std::string::npos);
  EXPECT_NE(page.find("<svg class=\"chart requests\""), std::string::npos);
  EXPECT_NE(page.find("Lateness of each first drop (" + std::to_string(result.metrics.drops)),
            std::string::npos);
  EXPECT_NE(page.find("<rect class=\"bin\""), std::string::npos);
}

TEST(HtmlReportTest, EscapesWhatFilesSay) {
  ScenarioResult result = BrokenScenario("<b>bad</b>.json", InvalidArgumentError("a < b & \"c\""));
  const std::string page = HtmlReport({result});
  EXPECT_EQ(page.find("<b>bad</b>"), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;bad&lt;/b&gt;.json"), std::string::npos);
  EXPECT_NE(page.find("a &lt; b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(page.find("ERROR"), std::string::npos);
}

TEST(HtmlReportTest, WriteHtmlSaysWhenItCannotWrite) {
  const Status status = WriteHtml("/nonexistent-dir/report.html", {});
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/nonexistent-dir/report.html"), std::string::npos);
  const std::string path = ::testing::TempDir() + "/gcsim_report.html";
  ASSERT_TRUE(WriteHtml(path, {}).ok());
  std::stringstream written;
  written << std::ifstream(path).rdbuf();
  EXPECT_NE(written.str().find("0 scenario(s)"), std::string::npos);
}

}  // namespace
}  // namespace gcsim::harness
