#include "run_command.h"

#include <fnmatch.h>

#include <iostream>

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
  app.add_option("--seed", options.seed, "Seed for ids and jitter, unless a scenario sets one");
  app.add_flag("-v,--verbose", options.verbose, "Print the whole journal of failing scenarios");
}

int RunRun(const RunCommandOptions& options) {
  auto files = harness::FindScenarioFiles(options.paths);
  if (!files.ok()) {
    std::cerr << "gcsim run: " << files.status().message() << "\n";
    return 2;
  }
  std::vector<harness::ScenarioResult> results;
  for (const std::string& file : *files) {
    auto scenario = harness::LoadScenarioFile(file);
    if (!scenario.ok()) {
      results.push_back(harness::BrokenScenario(file, scenario.status()));
      continue;
    }
    if (!options.filter.empty() && fnmatch(options.filter.c_str(), scenario->name.c_str(), 0) != 0) {
      continue;
    }
    results.push_back(harness::RunScenario(
        *scenario, {.seed = options.seed, .trace = !options.html_path.empty()}));
  }
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
