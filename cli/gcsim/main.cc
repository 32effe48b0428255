// gcsim: parses the command line and runs the subcommand given; each lives in its own file.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "run_command.h"
#include "serve_command.h"
#include "soak_command.h"

int main(int argc, char** argv) {
  CLI::App app{"gcsim: an offline simulator of the Genesys Cloud Platform API v2", "gcsim"};
  app.set_version_flag("--version", "gcsim " GCSIM_VERSION);
  app.require_subcommand(1);
  gcsim::cli::ServeOptions serve;
  gcsim::cli::SetupServe(app, serve);
  gcsim::cli::RunCommandOptions run;
  gcsim::cli::SetupRun(app, run);
  gcsim::cli::SoakOptions soak;
  gcsim::cli::SetupSoak(app, soak);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error);
    std::cerr << "gcsim: " << error.what() << " (see gcsim --help)" << std::endl;
    return 2;
  }
  try {
    if (app.got_subcommand("serve")) return gcsim::cli::RunServe(serve);
    if (app.got_subcommand("run")) return gcsim::cli::RunRun(run);
    if (app.got_subcommand("soak")) return gcsim::cli::RunSoak(soak);
  } catch (const std::exception& error) {
    std::cerr << "gcsim: internal error: " << error.what() << std::endl;
    return 1;
  }
  return 2;
}
