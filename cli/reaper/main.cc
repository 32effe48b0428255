// The reaper binary: flags in, RunReaper out.
#include "reaper_command.h"

int main(int argc, char** argv) {
  CLI::App app{"reaper: drops Genesys Cloud conference legs that have been silent too long"};
  const auto options = gcsim::cli::SetupReaper(app);
  if (const auto exit_status = gcsim::cli::ParseReaperArgs(app, argc, argv)) return *exit_status;
  return gcsim::cli::RunReaper(*options);
}
