#!/bin/sh
# ctest's entry to the browser test (ui_test.mjs): skipped (77) where node is not installed.
# scripts/setup installs node, chromium and playwright-core (into build/browser/).
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node is not installed (scripts/setup installs the Debian package nodejs)"
  exit 77
fi
exec node "$(dirname "$0")/ui_test.mjs" "$@"
