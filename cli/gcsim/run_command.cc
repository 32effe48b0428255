#include "run_command.h"

#include <fnmatch.h>
#include <unistd.h>

#include <iostream>

#include "flags.h"
#include "gcsim/common/clock.h"
#include "gcsim/harness/html_report.h"
#include "gcsim/harness/report.h"
#include "gcsim/harness/runner.h"
#include "gcsim/harness/scenario.h"

namespace gcsim::cli {

void SetupRun(CLI::App& parent, RunCommandOptions& options) {
  CLI::App& app = *parent.add_subcommand("run", "Run scenario files and report whether every expectation held");
  app.add_option("paths", options.paths, "Scenario files or folders of them")->required();
  app.add_option("--filter", options.filter, "Run only scenarios whose name matches this glob");
  app.add_option("--junit", options.junit_path, "Write a JUnit XML report to FILE");
  app.add_option("--json", options.json_path, "Write a JSON report to FILE");
  app.add_option("--html", options.html_path,
                 "Write one self-contained HTML page with a timeline of each scenario to FILE");
  app.add_option("--seed", options.seed, "Seed for ids and jitter, unless a scenario sets one")
      ->check(WholeNumber(0));
  app.add_flag("-v,--verbose", options.verbose,
               "Print the whole journal (and an external client's output) of failing scenarios");
  app.add_option("--client-cmd", options.client_cmd,
                 "Run this command (split into words as a shell would, but run without one) as "
                 "the client under test of every scenario with a client (it replaces the "
                 "bundled reaper), e.g. 'python3 my_reaper.py'")
      ->type_name("CMD")
      ->check([](const std::string& text) {
        const auto words = harness::SplitCommand(text);
        return words.ok() ? std::string() : words.status().message();
      });
  app.add_option("--time-scale", options.time_scale,
                 "How many times as fast as real time scenarios with an external client run "
                 "(default: the scenario's timeScale, else 60)")
      ->check(TimeScaleFlag());
}

namespace {

// "[3/17] scale-10k-bridges: 12m30s of 30m simulated", redrawn in place at most ten times a
// second, and only on a terminal: a log or a pipe gets the table alone.
class Progress {
 public:
  Progress() : shown_(isatty(STDOUT_FILENO) == 1) {}

  harness::RunOptions::ProgressFn For(size_t index, size_t count, const harness::Scenario& s) {
    if (!shown_) return nullptr;
    return [this, index, count, name = s.name, run_for = s.run_for](Duration simulated) {
      const TimePoint now = wall_.Now();
      if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
      last_ = now;
      drawn_ = true;
      std::cout << "\r\033[K[" << index << "/" << count << "] " << name << ": "
                << FormatDuration(simulated) << " of " << FormatDuration(run_for) << " simulated"
                << std::flush;
    };
  }
  // Clears the line before the table is printed.
  void Done() {
    if (drawn_) std::cout << "\r\033[K" << std::flush;
  }

 private:
  const bool shown_;
  RealClock wall_;  // only to pace the redraws
  TimePoint last_;
  bool drawn_ = false;
};

}  // namespace

int RunRun(const RunCommandOptions& options) {
  auto files = harness::FindScenarioFiles(options.paths);
  if (!files.ok()) {
    std::cerr << "gcsim run: " << files.status().message() << "\n";
    return 2;
  }
  std::vector<harness::ScenarioResult> results;
  Progress progress;
  size_t index = 0;
  for (const std::string& file : *files) {
    ++index;
    auto scenario = harness::LoadScenarioFile(file);
    if (!scenario.ok()) {
      results.push_back(harness::BrokenScenario(file, scenario.status()));
      continue;
    }
    if (!options.filter.empty() && fnmatch(options.filter.c_str(), scenario->name.c_str(), 0) != 0) {
      continue;
    }
    harness::RunOptions run{.seed = options.seed,
                            .trace = !options.html_path.empty(),
                            .progress = progress.For(index, files->size(), *scenario),
                            .time_scale = options.time_scale};
    if (!options.client_cmd.empty()) run.client_command = options.client_cmd;
    results.push_back(harness::RunScenario(*scenario, run));
  }
  progress.Done();
  if (results.empty()) {
    std::cerr << "gcsim run: no scenario matched\n";
    return 1;
  }
  harness::PrintReport(std::cout, results, options.verbose);
  for (const auto& [path, write] :
       {std::pair{options.junit_path, &harness::WriteJunit}, std::pair{options.json_path, &harness::WriteJson},
        std::pair{options.html_path, &harness::WriteHtml}}) {
    if (path.empty()) continue;
    if (Status written = write(path, results); !written.ok()) {
      std::cerr << "gcsim run: " << written.message() << "\n";
      return 1;
    }
  }
  for (const auto& result : results) {
    if (!result.passed) return 1;
  }
  return 0;
}

}  // namespace gcsim::cli
