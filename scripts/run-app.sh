#!/usr/bin/env bash
# Starts the desktop app. With no display (a headless server, CI), it runs under Xvfb instead.
set -euo pipefail
app="$1"; shift
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || [ "$(uname -s)" != "Linux" ]; then
  exec "$app" "$@"
fi
echo "No display found: starting StageBench under Xvfb (screen :auto). Set DISPLAY to see the window." >&2
exec xvfb-run -a -s "-screen 0 1280x800x24" "$app" "$@"
