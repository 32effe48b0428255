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
  // Where silence comes from: "sim" (gcsim's media view), "signals" (mute/hold segments),
  // "notifications" (channel events) or "audiohook" (the calls' audio).
  std::string activity = "sim";
  // With --activity audiohook: where its AudioHook server listens, and the X-API-KEY it wants.
  std::string audiohook_listen = "127.0.0.1:9090";
  std::string audiohook_api_key;
  // "text" or "json", for the log (stderr) and the summary (stdout).
  std::string log_format = "text";
  // Log at debug level: every request, skip and tick.
  bool verbose = false;
  // One tick, then wait up to verify_timeout for its drops to be verified, then exit.
  bool once = false;
};

// Declares the flags on `app`; the returned options fill in when it parses.
std::shared_ptr<ReaperCommandOptions> SetupReaper(CLI::App& app);

// Exit statuses of the reaper binary (README, "reaper"). When several apply, the lowest
// non-zero one is given.
inline constexpr int kExitOk = 0;             // every drop verified; nothing stuck or failed
inline constexpr int kExitStuckOrFailed = 1;  // a leg reported stuck, or a request failed
inline constexpr int kExitUsage = 2;          // bad command line
inline constexpr int kExitUnverified = 3;     // stopped with drops not yet verified
inline constexpr int kExitFailedToRun = 4;    // an unexpected error ended the run

// Parses the command line. nullopt: go on and run; otherwise the exit status (0 after --help,
// 2 after a bad flag, with the error written to `err`).
std::optional<int> ParseReaperArgs(CLI::App& app, int argc, const char* const* argv,
                                   std::ostream& out = std::cout, std::ostream& err = std::cerr);

// Runs on the real clock until --once is done or SIGINT/SIGTERM, prints the summary, and
// returns the exit status (ReaperExitStatus).
int RunReaper(const ReaperCommandOptions& options);

// The exit status for what a run ended with: stuck or failed (1) before unverified (3).
int ReaperExitStatus(const client::ReaperTotals& totals, size_t unverified);

// The whole binary: parses, runs, and turns any exception into a message on `err` and
// kExitFailedToRun, so nothing escapes main.
int ReaperMain(int argc, const char* const* argv, std::ostream& out = std::cout,
               std::ostream& err = std::cerr);

}  // namespace gcsim::cli
