// `gcsim run PATH...`: runs scenario files and reports; exit status 0 only if all held.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace gcsim::cli {

struct RunCommandOptions {
  std::vector<std::string> paths;  // files or folders of *.json scenarios
  std::string filter;              // glob on scenario names; empty: all
  std::string junit_path;          // write JUnit XML here when set
  std::string json_path;           // write a JSON report here when set
  std::string html_path;           // write the HTML picture of every scenario here when set
  uint64_t seed = 1;               // unless a scenario sets its own
  bool verbose = false;            // print the journal of failing scenarios
  std::string client_cmd;          // a command replacing every scenario's client; empty: none
  std::optional<double> time_scale;  // the speed of scenarios with an external client
};

// Adds the `run` subcommand to `app`; parsing fills `options`, which must outlive it.
void SetupRun(CLI::App& app, RunCommandOptions& options);
// 0: every scenario passed; 1: a scenario failed or could not be loaded; 2: bad usage.
int RunRun(const RunCommandOptions& options);

}  // namespace gcsim::cli
