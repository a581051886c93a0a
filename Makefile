# opsready: two commands from a fresh clone.
#   make gate   bootstrap, start the sandbox, run the readiness gate, write reports/, stop the sandbox
#   make test   bootstrap, then the whole test suite (library tests and every scenario)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv gate test lint typecheck fmt bench clean sandbox-down chromium

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "opsready needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

gate: venv
	$(BIN)/opsready gate

# Headless Chromium opens readiness.html in the report tests: Debian's package, installed when missing and we are root
# (elsewhere, or when the install fails, that one test skips and says why).
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium for the HTML report test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "could not install chromium: the HTML report's browser test will skip"; \
	fi

# The tests drive a sandbox of their own (free ports, separate state) so they never touch one you have up.
test: venv chromium
	OPSREADY_STATE_DIR=$(CURDIR)/.opsready-test OPSREADY_PORTS=auto $(BIN)/python -m pytest -p no:cacheprovider; \
	rc=$$?; OPSREADY_STATE_DIR=$(CURDIR)/.opsready-test $(BIN)/opsready sandbox down >/dev/null 2>&1; \
	if [ $$rc -eq 5 ]; then echo "make test: no test ran" >&2; exit 1; fi; exit $$rc

lint: venv
	$(BIN)/ruff check src tests steps benchmarks conftest.py loadtests
	$(BIN)/ruff format --check src tests steps benchmarks conftest.py loadtests

typecheck: venv
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff format src tests steps benchmarks conftest.py loadtests
	$(BIN)/ruff check --fix src tests steps benchmarks conftest.py loadtests

bench: venv
	$(BIN)/python benchmarks/run.py

sandbox-down: venv
	$(BIN)/opsready sandbox down

clean:
	-$(BIN)/opsready sandbox down
	rm -rf $(VENV) .opsready .mypy_cache .ruff_cache
