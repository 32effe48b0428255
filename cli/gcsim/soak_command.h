// `gcsim soak`: the invariant check over seeded random scenarios (harness/generator.h).
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace gcsim::cli {

struct SoakOptions {
  uint64_t seeds = 100;       // how many scenarios
  uint64_t first_seed = 1;    // seeds first_seed .. first_seed + seeds - 1
  std::string save_failures;  // a folder: each failing seed's scenario file is written there
  bool verbose = false;       // a line per seed, not only per failure
};

// Adds the `soak` subcommand to `app`; parsing fills `options`, which must outlive it.
void SetupSoak(CLI::App& app, SoakOptions& options);
// 0: every invariant held for every seed; 1: a violation (each printed with the scenario file
// that reproduces it); 2: bad usage.
int RunSoak(const SoakOptions& options);

}  // namespace gcsim::cli
