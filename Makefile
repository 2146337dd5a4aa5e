# concurrency-bench: the user's verbs. Each target bootstraps .venv from pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= quick
BACKENDS ?=
WORKLOADS ?=
RESULTS ?= results
HTTP_URL ?=
HTTP_SERVER_WORKERS ?=
PROCESSES ?=
RUN ?=
RUNS ?=
BASELINE ?=
FAIL_ABOVE ?=
MIN_EFFECT ?=
TEST_ARGS ?=

BENCH_ARGS = --profile $(PROFILE) --results $(RESULTS) \
	$(if $(BACKENDS),--backends $(BACKENDS)) \
	$(if $(WORKLOADS),--workloads $(WORKLOADS)) \
	$(if $(HTTP_URL),--http-url $(HTTP_URL)) \
	$(if $(PROCESSES),--processes $(PROCESSES)) \
	$(if $(HTTP_SERVER_WORKERS),--http-server-workers $(HTTP_SERVER_WORKERS))

.PHONY: bench report compare test lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

bench: $(VENV)/.installed
	$(PY) -m bench $(BENCH_ARGS)

report: $(VENV)/.installed
	$(PY) -m reports build $(if $(RUN),$(RUN),$$($(PY) -m bench.layout newest $(RESULTS)))

compare: $(VENV)/.installed
	$(PY) -m reports compare $(if $(RUNS),$(RUNS),$(RESULTS)) \
		$(if $(BASELINE),--baseline $(BASELINE)) $(if $(FAIL_ABOVE),--fail-above $(FAIL_ABOVE)) \
		$(if $(MIN_EFFECT),--min-effect $(MIN_EFFECT))

test: $(VENV)/.installed
	$(PY) -m pytest tests $(TEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy bench workloads reports conftest.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
