# Two commands: `make serve` and `make test`. Everything else is a helper.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8000

.PHONY: serve test test-fast validate venv bench bench-x1000 clean lint

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

validate: $(STAMP)
	$(BIN)/mfbt-kg validate

serve: validate
	$(BIN)/mfbt-kg serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	sh scripts/ensure-chromium.sh
	sh scripts/ensure-libreoffice.sh
	sh scripts/ensure-virtuoso.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The edit loop: everything but the tests marked slow (subprocesses, servers, browser, wheel build).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m 'not slow' $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# ×1000 (about 6.8 M triples) in process, through `oxigraph serve` and embedded: docs/benchmarks-x1000.md.
# Run it alone on a quiet machine: 12-20 min, up to ~18 GB memory (serve --data: the data in every worker).
# BENCH_ARGS="--factor 10" to try it in a minute.
bench-x1000: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python bench/x1000.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build dist src/*.egg-info
