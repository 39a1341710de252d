#!/usr/bin/env bash
# Runs a command the way the tests need it: a virtual X display (Xvfb) for the app, and a
# private D-Bus session with an unlocked Secret Service (gnome-keyring) for keyring tests.
# Nothing here touches the user's own session or keyring.
set -euo pipefail

if [ "${STAGEBENCH_TEST_ENV:-}" != "inner" ]; then
  export STAGEBENCH_TEST_ENV=inner
  exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi

XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d)
export XDG_DATA_HOME XDG_RUNTIME_DIR
chmod 700 "$XDG_RUNTIME_DIR"
if command -v gnome-keyring-daemon >/dev/null 2>&1; then
  eval "$(printf 'stagebench-test' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
  export GNOME_KEYRING_CONTROL
fi
# Tests must never reach a developer's real adb server or data.
unset ANDROID_ADB_SERVER_PORT
export STAGEBENCH_DATA_DIR="${XDG_DATA_HOME}/stagebench"
"$@"
