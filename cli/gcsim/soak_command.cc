#include "soak_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>

#include "flags.h"
#include "gcsim/common/clock.h"
#include "gcsim/harness/generator.h"

namespace gcsim::cli {

void SetupSoak(CLI::App& parent, SoakOptions& options) {
  CLI::App& app = *parent.add_subcommand(
      "soak", "Check the reaper's invariants (safety, liveness, determinism) over seeded random scenarios");
  app.add_option("--seeds", options.seeds, "How many scenarios to generate and run")
      ->check(WholeNumber(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--first-seed", options.first_seed, "The first seed")
      ->check(WholeNumber(0))
      ->capture_default_str();
  app.add_option("--save-failures", options.save_failures,
                 "Write each failing seed's scenario file into this folder");
  app.add_flag("-v,--verbose", options.verbose, "Print a line for every seed");
}

int RunSoak(const SoakOptions& options) {
  const uint64_t last_seed = options.first_seed + (options.seeds - 1);
  if (last_seed < options.first_seed) {
    std::cerr << "gcsim soak: --first-seed " << options.first_seed << " and --seeds "
              << options.seeds << " run past the last seed there is, "
              << std::numeric_limits<uint64_t>::max() << std::endl;
    return 2;
  }
  RealClock wall;
  const TimePoint start = wall.Now();
  uint64_t failed = 0, legs = 0, drops = 0, early = 0, requests = 0;
  for (uint64_t i = 0; i < options.seeds; ++i) {
    const uint64_t seed = options.first_seed + i;
    const harness::InvariantCheck check = harness::CheckInvariants(seed);
    legs += check.legs;
    drops += check.result.metrics.drops;
    early += check.result.metrics.early_drops;
    requests += check.result.metrics.requests;
    if (options.verbose) {
      std::cout << "seed " << seed << ": " << (check.ok() ? "ok" : "VIOLATED") << ", " << check.legs
                << " legs, " << check.result.metrics.drops << " drops, "
                << check.result.metrics.requests << " requests, "
                << check.scenario["reaper"].value("activity", "sim") << " source"
                << (check.scenario["reaper"].contains("clockSkew")
                        ? ", reaper clock " +
                              check.scenario["reaper"]["clockSkew"].get<std::string>()
                        : "")
                << "\n";
    }
    if (check.ok()) continue;
    ++failed;
    std::cout << "seed " << seed << " violates:\n";
    for (const std::string& violation : check.violations) std::cout << "  " << violation << "\n";
    const std::string file = "generated-" + std::to_string(seed) + ".json";
    if (!options.save_failures.empty()) {
      std::error_code error;
      std::filesystem::create_directories(options.save_failures, error);
      const std::string path = options.save_failures + "/" + file;
      std::ofstream(path) << check.scenario.dump(2) << "\n";
      std::cout << "  reproduce: gcsim run " << path << " --verbose\n";
    } else {
      std::cout << "  reproduce with this file (" << file << "), run by gcsim run FILE --verbose:\n"
                << check.scenario.dump(2) << "\n";
    }
  }
  const double seconds = std::chrono::duration<double>(wall.Now() - start).count();
  std::cout << "soak: " << options.seeds << " scenarios (seeds " << options.first_seed << ".."
            << last_seed << "), " << legs << " legs, " << drops << " drops, " << requests
            << " reaper requests, " << early << " early drops, " << failed << " with violations, "
            << seconds << "s wall\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace gcsim::cli
