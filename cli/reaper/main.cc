// The reaper binary: everything, exceptions included, is handled in ReaperMain.
#include "reaper_command.h"

int main(int argc, char** argv) { return gcsim::cli::ReaperMain(argc, argv); }
