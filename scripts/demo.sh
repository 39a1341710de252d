#!/usr/bin/env bash
# `make demo`: the app on a simulated bench. A fresh demo folder (never your own bench data), a
# private adb server, the simulator (eight devices that react to the QR and to Powered off, and a
# fake Intune tenant), the bench signed in to that tenant, an active demo batch with the staging
# profile, then the app. Closing the app stops everything and removes the demo folder.
#
#   scripts/demo.sh APP CLI                  the app's window (`make demo`)
#   scripts/demo.sh --check CLI              everything but the app, checked, then stopped
#   scripts/demo.sh --prepare-only CLI       everything but the app; prints the app's environment
#                                            (KEY=VALUE lines, then "ready") and waits to be stopped
#
# Secrets stay out of your own keyring: the demo runs in a private D-Bus session with a
# throwaway, unlocked gnome-keyring (under scripts/test-env.sh it uses that one, private too).
# Settings: STAGEBENCH_DEMO_STEP_MS (each device step, default 4000), STAGEBENCH_DEMO_DEVICES
# (default 8), STAGEBENCH_DEMO_PLAIN=1 (only devices that reach their user: no quirks, no
# RealWear), STAGEBENCH_DEMO_ADB_PORT (default 5042), STAGEBENCH_SYNC_SECONDS (the app's Intune
# sync, default 5 here), STAGEBENCH_DEMO_KEEP=1 keeps the demo folder.
set -euo pipefail

mode=app
case "${1:-}" in
  --check) mode=check; shift ;;
  --prepare-only) mode=prepare; shift ;;
esac
if [ "$mode" = app ]; then
  [ $# -eq 2 ] || { echo "usage: $0 APP CLI | --check CLI | --prepare-only CLI" >&2; exit 2; }
  app=$(realpath "$1"); cli=$(realpath "$2")
else
  [ $# -eq 1 ] || { echo "usage: $0 APP CLI | --check CLI | --prepare-only CLI" >&2; exit 2; }
  app=; cli=$(realpath "$1")
fi
here=$(cd "$(dirname "$0")" && pwd)

# A private D-Bus session and keyring, unless the caller already runs in a private one.
if [ "${STAGEBENCH_TEST_ENV:-}" != inner ] && [ "${STAGEBENCH_DEMO_SESSION:-}" != inner ]; then
  for tool in dbus-run-session gnome-keyring-daemon; do
    command -v "$tool" >/dev/null 2>&1 || {
      echo "The demo needs $tool (packages dbus and gnome-keyring): run make demo, which installs them." >&2
      exit 1
    }
  done
  export STAGEBENCH_DEMO_SESSION=inner
  if [ -n "$app" ]; then
    exec dbus-run-session -- "$0" "$app" "$cli"
  fi
  exec dbus-run-session -- "$0" "--$mode" "$cli"
fi

demo=$(mktemp -d "${TMPDIR:-/tmp}/stagebench-demo.XXXXXX")
chmod 700 "$demo"
export STAGEBENCH_DATA_DIR="$demo/data"
if [ "${STAGEBENCH_DEMO_SESSION:-}" = inner ]; then
  # The throwaway keyring lives in the demo folder, not in your own data folder.
  export XDG_DATA_HOME="$demo/xdg-data" XDG_RUNTIME_DIR="$demo/xdg-runtime"
  mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  eval "$(printf 'stagebench-demo' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
  export GNOME_KEYRING_CONTROL
fi

port=${STAGEBENCH_DEMO_ADB_PORT:-5042}
export ANDROID_ADB_SERVER_PORT=$port
sim=; own_adb=
cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [ -n "$sim" ]; then
    kill -INT "$sim" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$sim" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$sim" 2>/dev/null || true
  fi
  if [ -n "$own_adb" ]; then HOME="$demo" adb -P "$port" kill-server >/dev/null 2>&1 || true; fi
  if [ "${STAGEBENCH_DEMO_KEEP:-}" = 1 ]; then
    echo "The demo folder stays: $demo" >&2
  else
    rm -rf "$demo"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A private adb server (its own port and keys), unless one already listens there.
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  command -v adb >/dev/null 2>&1 || { echo "The demo needs adb: run make demo, which installs it." >&2; exit 1; }
  HOME="$demo" TMPDIR="$demo" adb -P "$port" start-server >/dev/null 2>&1 || {
    echo "Could not start an adb server on port $port: set STAGEBENCH_DEMO_ADB_PORT to a free port." >&2; exit 1; }
  own_adb=1
fi

plain=()
if [ "${STAGEBENCH_DEMO_PLAIN:-}" = 1 ]; then plain=(--plain); fi
"$cli" simulate --tenant --connect --step-ms "${STAGEBENCH_DEMO_STEP_MS:-4000}" \
  --devices "${STAGEBENCH_DEMO_DEVICES:-8}" "${plain[@]}" >"$demo/simulator.log" 2>&1 &
sim=$!
for _ in $(seq 600); do
  [ -f "$STAGEBENCH_DATA_DIR/simulator-control.json" ] && break
  kill -0 "$sim" 2>/dev/null || { echo "The simulator stopped:" >&2; cat "$demo/simulator.log" >&2; exit 1; }
  sleep 0.1
done
[ -f "$STAGEBENCH_DATA_DIR/simulator-control.json" ] || { echo "The simulator did not start within 60 s." >&2; exit 1; }
eval "$("$cli" simulate control env)"

export STAGEBENCH_TECHNICIAN="${STAGEBENCH_TECHNICIAN:-Demo technician}"
export STAGEBENCH_SYNC_SECONDS="${STAGEBENCH_SYNC_SECONDS:-5}"
# Quietly (their warnings say the tenant is the fake on 127.0.0.1), but all of it on failure.
quiet() { local said; said=$("$@" </dev/null 2>&1) || { echo "$said" >&2; return 1; }; }
quiet "$cli" login --tenant contoso.onmicrosoft.com --client-id 00000000-5ba6-4000-8000-000000000001
quiet "$cli" batch new --name "Demo bench" --vendor "StageBench demo" \
  --profile "Bench – fully managed (staging)" --activate

case "$mode" in
  check)
    "$cli" whoami
    "$cli" batch list
    "$cli" simulate control list
    echo "The demo bench is ready (check only: stopping it)."
    ;;
  prepare)
    for name in STAGEBENCH_DATA_DIR ANDROID_ADB_SERVER_PORT STAGEBENCH_AUTHORITY STAGEBENCH_GRAPH_URL \
                STAGEBENCH_ALLOW_HTTP_LOOPBACK STAGEBENCH_SYNC_SECONDS STAGEBENCH_TECHNICIAN; do
      echo "$name=${!name}"
    done
    echo ready
    wait "$sim"
    ;;
  app)
    echo "StageBench demo: $(grep -c '^127' "$demo/simulator.log" || true) simulated devices, signed in to a fake tenant, batch “Demo bench” active."
    echo "Show the QR (Profiles › Show QR, or the Bench's QR), click Powered off on cards; the demo panel drives the devices. Close the window to stop."
    "$here/run-app.sh" "$app"
    ;;
esac
