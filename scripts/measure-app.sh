#!/usr/bin/env bash
# Measures what the desktop app costs (issue 14): builds the release app and CLI, then runs
# `stagebench benchmark app` under Xvfb with a private D-Bus session and data folder
# (scripts/test-env.sh): 8 simulated devices through Debian's adb server, startup to the page
# and to every card, PSS of the app and its WebKit processes after a minute idle, the page
# process's CPU, and with --soak DURATION the memory over plugging and unplugging.
#   scripts/measure-app.sh                 # the default figures
#   scripts/measure-app.sh --soak 1h       # and an hour of plugging
#   scripts/measure-app.sh --json          # as JSON
# MEASURE_NO_BUILD=1 skips the build (measures what target/release holds).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${MEASURE_NO_BUILD:-}" != "1" ]; then
  make --no-print-directory ui
  cargo build --release --locked -p stagebench-app -p stagebench-cli
fi
exec scripts/test-env.sh target/release/stagebench benchmark app --app target/release/stagebench-app "$@"
