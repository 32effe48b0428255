// `reaper`: drops conference legs silent for the idle timeout, verifies they went, and prints a
// summary. One tick with --once, else a daemon until SIGINT/SIGTERM.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "gcsim/client/api_client.h"
#include "gcsim/client/reaper.h"

namespace gcsim::cli {

struct ReaperCommandOptions {
  // API and OAuth endpoints and credentials; retry settings keep the client's defaults.
  client::ApiClientOptions api;
  // Idle timeout, poll interval, purposes, verification, dry run.
  client::ReaperOptions reaper;
  // Where silence comes from: "sim" (gcsim's media view) or "signals" (mute/hold segments).
  std::string activity = "sim";
  // "text" or "json", for the log (stderr) and the summary (stdout).
  std::string log_format = "text";
  // Log at debug level: every request, skip and tick.
  bool verbose = false;
  // One tick, then wait up to verify_timeout for its drops to be verified, then exit.
  bool once = false;
};

// Declares the flags on `app`; the returned options fill in when it parses.
std::shared_ptr<ReaperCommandOptions> SetupReaper(CLI::App& app);

// Parses the command line. nullopt: go on and run; otherwise the exit status (0 after --help,
// 2 after a bad flag, with the error written to `err`).
std::optional<int> ParseReaperArgs(CLI::App& app, int argc, const char* const* argv,
                                   std::ostream& out = std::cout, std::ostream& err = std::cerr);

// Runs on the real clock. Exit status: 0 when nothing went wrong; 1 when a leg is stuck, an
// error was seen, or (with --once) a drop was not verified within the verify timeout.
int RunReaper(const ReaperCommandOptions& options);

}  // namespace gcsim::cli
