#!/bin/sh
# ctest's entry to the SDK tests: the official Genesys JavaScript SDK (and the ws package) against
# `gcsim serve`. Skipped (77) where node is not installed; the scripts themselves skip when
# scripts/setup could not install the packages into build/sdk/.
#   run.sh TEST.mjs GCSIM_BINARY MODULES_DIR WORLD.json
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node is not installed (scripts/setup installs the Debian package nodejs)"
  exit 77
fi
script=$1
shift
exec node "$(dirname "$0")/$script" "$@"
