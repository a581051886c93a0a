# opsready: two commands from a fresh clone.
#   make gate   bootstrap, start the sandbox, run the readiness gate, write reports/, stop the sandbox
#   make test   bootstrap, then the whole test suite (library tests and every scenario)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Compiled bytecode is kept (under .venv/pycache, out of the source tree) even where the environment says not to
# write it (PYTHONDONTWRITEBYTECODE, set in many CI images): every sandbox program, watchdog, opsready command and
# pytest process would otherwise compile opsready and rewrite the tests anew, about half of a pytest start's CPU.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX ?= $(CURDIR)/$(VENV)/pycache

.PHONY: venv gate test fuzz soak lint typecheck fmt bench clean sandbox-down system-tools

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "opsready needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,kubernetes]'
	@touch $(STAMP)

gate: venv
	$(BIN)/opsready gate

# System tools some tests drive, from Debian's packages, installed when missing and we are root (elsewhere, or when
# the install fails, those tests skip and say why): headless Chromium opens readiness.html and the runbook export;
# poppler-utils reads the export's PDF back; tmux plays a person at the game-day console; sshd and HAProxy run the
# test fleet of hosts (tests/fleet), nft its network faults, sudo its deploy user's privileged steps; Prometheus (with
# promtool), Alertmanager, the PostgreSQL exporter and the blackbox exporter (which probes the users' entry point from
# outside) are the sandbox's monitoring (marker `monitoring`: alert rules, scrapes, pages).
SYSTEM_TOOLS := /usr/bin/chromium:chromium /usr/bin/pdftotext:poppler-utils /usr/bin/tmux:tmux \
  /usr/sbin/sshd:openssh-server /usr/sbin/haproxy:haproxy /usr/sbin/nft:nftables /usr/bin/sudo:sudo \
  /usr/bin/prometheus:prometheus /usr/bin/prometheus-alertmanager:prometheus-alertmanager \
  /usr/bin/prometheus-postgres-exporter:prometheus-postgres-exporter \
  /usr/bin/prometheus-blackbox-exporter:prometheus-blackbox-exporter
# Packaged services (sshd, HAProxy, Prometheus, Alertmanager, the exporters) must not start on install: the test
# fleet and the sandbox run their own copies.
# A policy-rc.d that exits 101 forbids invoke-rc.d to start anything; one we add is removed again, one there is kept.
system-tools:
	@missing=""; for pair in $(SYSTEM_TOOLS); do [ -x "$${pair%%:*}" ] || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing$$missing for the browser, terminal, host-fleet and monitoring tests"; \
	  policy=/usr/sbin/policy-rc.d; added=""; \
	  if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' > $$policy && chmod 755 $$policy && added=1; \
	    trap 'rm -f /usr/sbin/policy-rc.d' EXIT INT TERM; fi; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
	    >/dev/null) || echo "could not install$$missing: the tests that need them will skip"; \
	  if [ -n "$$added" ]; then rm -f $$policy; fi; \
	fi

# The tests drive sandboxes of their own (free ports, separate state) so they never touch one you have up.
# Three passes, each of which must pass and run at least one test:
#   1. pure: the tests that need no running target (unit, CLI, plugin: CPU-bound, private temporary state), on both
#      cores. Running them alongside the other passes, even at nice 19, made their timing tests flaky.
#   2. parallel: the scenarios (steps/) and integration tests, which mostly wait on real processes, on four sandboxes
#      at once: one pytest-xdist worker each, with its own state directory (.opsready-test/parallel/gw0-gw3) and free
#      ports; a test file stays on one worker, in order. The scenarios read opsready.tests.yaml: opsready.yaml with a
#      4 s soak instead of the documented 10 s (the gate keeps 10 s). Files go out in tests/layout.py's order
#      (--no-loadscope-reorder: xdist would otherwise send the files with the most tests first).
#   3. serial: what would measure or disturb the other sandbox (CPU hog, memory pressure, load and capacity
#      measurements, latency and healthy diagnoses; the list is tests/layout.py), one at a time on a machine of its own.
PURE_TESTS   := tests/unit tests/cli tests/plugin
TARGET_TESTS := -p tests.layout --opsready-config opsready.tests.yaml steps tests $(addprefix --ignore=,$(PURE_TESTS))
# pytest plugins the tests do not use, left out of every pytest process a pass starts (each costs CPU at start-up,
# and the passes start dozens: gate runs, plugin tests): locust's and anyio's everywhere (locust always runs in a
# subprocess of its own), kmock's and hypothesis's where no test uses them (the passes that drive sandboxes).
UNUSED_PLUGINS := -p no:locust -p no:anyio
# how many of the slowest tests each pass lists (0: all of them; `make test DURATIONS=0` to see where the time goes)
DURATIONS ?= 20
test: venv system-tools
	@export OPSREADY_STATE_DIR=$(CURDIR)/.opsready-test OPSREADY_PORTS=auto; \
	PYTEST_ADDOPTS="$(UNUSED_PLUGINS)" $(BIN)/python -m pytest -p no:cacheprovider -n 2 --durations=$(DURATIONS) $(PURE_TESTS); pure=$$?; \
	export PYTEST_ADDOPTS="$(UNUSED_PLUGINS) -p no:kmock -p no:hypothesispytest"; \
	$(BIN)/python -m pytest -p no:cacheprovider -n 4 --dist loadfile --no-loadscope-reorder --durations=$(DURATIONS) --layout-pass=parallel $(TARGET_TESTS); parallel=$$?; \
	$(BIN)/python -m pytest -p no:cacheprovider --layout-pass=serial --durations=$(DURATIONS) $(TARGET_TESTS); serial=$$?; \
	for state in $(CURDIR)/.opsready-test/parallel/gw* $(CURDIR)/.opsready-test/serial; do \
	  [ -d "$$state" ] && OPSREADY_STATE_DIR=$$state $(BIN)/opsready sandbox down >/dev/null 2>&1; done; \
	for code in $$pure $$parallel $$serial; do [ $$code -ne 5 ] || { echo "make test: no test ran" >&2; exit 1; }; done; \
	for code in $$pure $$parallel $$serial; do [ $$code -eq 0 ] || exit $$code; done

# The deep run of the input fuzzing: 1,000 byte-mutated cases per input type (make test runs 200), new cases each run.
fuzz: venv
	OPSREADY_FUZZ_EXAMPLES=1000 $(BIN)/python -m pytest -p no:cacheprovider -n 2 --durations=15 -m fuzz tests/unit

# The soak (opt-in, about 30 min): the interruption matrix (SIGINT, SIGTERM, SIGINT twice, SIGKILL then recover,
# SIGKILL then the dead-man; SOAK_TRIALS each, default 50, the fault kinds taking turns: 250 trials, about 15 min on
# a quiet machine, bounded at SOAK_MATRIX_BOUND=3600 s) and SOAK_CYCLES deploy/rollback cycles (default 1,000, 15-25 min, bounded
# at SOAK_CYCLES_BOUND=3600 s) with the orders' count and checksum before and after. Each part has a sandbox of its
# own (temporary state, free ports), purged at the end whatever happens; a part that reaches its bound stops cleanly
# and reports what it did. Results: reports/soak/soak.{json,md}; exit 1 when a goal is missed. See soak/__init__.py.
soak: venv
	OPSREADY_PORTS=auto $(BIN)/python -m soak

lint: venv
	$(BIN)/ruff check src tests steps benchmarks soak conftest.py loadtests
	$(BIN)/ruff format --check src tests steps benchmarks soak conftest.py loadtests

typecheck: venv
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff format src tests steps benchmarks soak conftest.py loadtests
	$(BIN)/ruff check --fix src tests steps benchmarks soak conftest.py loadtests

bench: venv
	$(BIN)/python benchmarks/run.py

sandbox-down: venv
	$(BIN)/opsready sandbox down

clean:
	-$(BIN)/opsready sandbox down
	rm -rf $(VENV) .opsready .mypy_cache .ruff_cache
