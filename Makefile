# StageBench: `make demo` opens the app on a simulated bench, `make run` starts the app, `make test`
# runs every test. Each installs the Debian/Ubuntu packages it needs first (scripts/deps.sh).
# Every target uses the same cargo selection, so nothing is compiled twice.

SHELL := /bin/bash
CARGO ?= cargo
CARGO_SELECTION := --locked --workspace --all-targets

APT_BUILD := libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libssl-dev libdbus-1-dev \
             pkg-config build-essential file libusb-1.0-0-dev libudev-dev mold
APT_RUN   := xvfb xauth adb
APT_DEMO  := dbus gnome-keyring
APT_TEST  := xvfb xauth webkit2gtk-driver x11-utils dbus dbus-x11 \
             adb zbar-tools poppler-utils cups printer-driver-cups-pdf gnome-keyring libsecret-tools socat

.PHONY: all deps-run deps-demo deps-test ui build run demo lint test test-ui test-rust clean-artifacts

all: build

deps-run:
	@scripts/deps.sh $(APT_BUILD) $(APT_RUN)

deps-demo:
	@scripts/deps.sh $(APT_BUILD) $(APT_RUN) $(APT_DEMO)

deps-test:
	@scripts/deps.sh $(APT_BUILD) $(APT_TEST)

ui/node_modules/.package-lock.json: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	@touch $@

ui: ui/node_modules/.package-lock.json
	cd ui && npm run build

build: ui
	$(CARGO) build $(CARGO_SELECTION)

run: deps-run
	@$(MAKE) --no-print-directory build
	@scripts/run-app.sh target/debug/stagebench-app

# The app on a simulated bench: eight devices, a fake tenant signed in, an active demo batch, all
# in a fresh folder of their own (scripts/demo.sh); closing the window stops it all.
demo: deps-demo
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh target/debug/stagebench-app target/debug/stagebench

# Gates: formatting as rustfmt writes it, and no clippy warning anywhere (tests included).
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy $(CARGO_SELECTION) -- -D warnings

test-ui: ui/node_modules/.package-lock.json
	cd ui && npm run check && npm test

test-rust:
	scripts/test-env.sh $(CARGO) test --locked --workspace --no-fail-fast

test: deps-test
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-ui
	@$(MAKE) --no-print-directory test-rust

clean-artifacts:
	rm -rf artifacts
