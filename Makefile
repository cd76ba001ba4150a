# One task runner for humans and CI. `make serve` and `make test` each set up
# everything they need on a fresh machine (virtualenv, Python packages, and,
# for the browser tests, Debian's Chromium when run as root).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8050

.PHONY: serve test lint bench bench-load bench-national sample geo system-deps clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

serve: $(BIN)/.installed  ## serve the dashboard on the shipped release
	$(BIN)/crisis-dashboard serve --port $(PORT)

system-deps:  ## Chromium, PostgreSQL and Redis for the tests (Debian packages, never a download)
	@if [ ! -x /usr/bin/chromium ] || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	    || ! command -v redis-server >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
	      fonts-dejavu-core postgresql redis-server >/dev/null; \
	  else echo "Install Debian's chromium, postgresql and redis-server packages for the tests"; exit 1; fi; \
	fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: $(BIN)/.installed system-deps lint  ## the whole suite: unit, integration, browser
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

bench: $(BIN)/.installed  ## benchmarks at 1M and 10M calls; writes benchmarks/RESULTS.md
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/crisis-dashboard bench --sizes 1000000 10000000

bench-load: $(BIN)/.installed system-deps  ## 200 users on nginx + 2 app hosts + PostgreSQL + Redis, and on one host
	@command -v nginx >/dev/null || { [ "$$(id -u)" = "0" ] && apt-get install -y -qq nginx >/dev/null; } \
	  || { echo "Install Debian's nginx package for the load benchmark"; exit 1; }
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.load

bench-national: $(BIN)/.installed system-deps  ## 101M calls in 20 cities, published into PostgreSQL; both engines' p95
	$(BIN)/python -m benchmarks.national

sample: $(BIN)/.installed  ## regenerate the shipped synthetic release
	$(BIN)/crisis-dashboard sample

geo: $(BIN)/.installed  ## rebuild geo/ web boundaries and populations from geo/*/source
	$(BIN)/crisis-dashboard geo-build

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
