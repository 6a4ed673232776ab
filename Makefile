# kg: two commands, `make serve` and `make test`. Everything else is set up on demand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# browser assets the server serves itself (YASGUI, CJK fonts): package.json + package-lock.json, npm ci
ASSETS := node_modules/.installed

.PHONY: setup build validate serve test bench rent loadtest clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(ASSETS): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(ASSETS)

setup: $(STAMP) $(ASSETS)

build: $(STAMP)
	$(BIN)/kg build

validate: build
	$(BIN)/kg validate

serve: build $(ASSETS)
	$(BIN)/kg serve --host 127.0.0.1 --port 8000

test: $(STAMP) $(ASSETS)
	$(BIN)/python -m pytest

# benchmarks (not part of test): our server, Oxigraph's server and rdflib-endpoint side by side (bench/run.py)
BENCH_VENV := bench/.venv
$(BENCH_VENV)/.installed: bench/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	touch $@

bench: build $(BENCH_VENV)/.installed
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH_ARGS)

# each speed layer on and off in one run, at the report's size and 10^5 (docs/performance.md, "Rent")
rent:
	$(MAKE) bench BENCH_ARGS="--rent --sizes report,1e5 --concurrency 16 --rdflib-max-triples 0 $(BENCH_ARGS)"

# issue 5: 64 clients for 60 s, then the same with a runaway query every second; loopback only, bounded
loadtest: build
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

clean:
	rm -rf dist $(VENV) node_modules
