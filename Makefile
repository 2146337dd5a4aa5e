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

# Values reach the shell single-quoted, so '&', '?', spaces and the like arrive intact.
quote = '$(subst ','\'',$(1))'

BENCH_ARGS = --profile $(call quote,$(PROFILE)) --results $(call quote,$(RESULTS)) \
	$(if $(BACKENDS),--backends $(call quote,$(BACKENDS))) \
	$(if $(WORKLOADS),--workloads $(call quote,$(WORKLOADS))) \
	$(if $(HTTP_URL),--http-url $(call quote,$(HTTP_URL))) \
	$(if $(PROCESSES),--processes $(call quote,$(PROCESSES))) \
	$(if $(HTTP_SERVER_WORKERS),--http-server-workers $(call quote,$(HTTP_SERVER_WORKERS)))

.PHONY: bench report compare test lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

bench: $(VENV)/.installed
	$(PY) -m bench $(BENCH_ARGS)

report: $(VENV)/.installed
	$(if $(RUN),$(PY) -m reports build $(call quote,$(RUN)),\
		run="$$($(PY) -m bench.layout newest $(call quote,$(RESULTS)))" && $(PY) -m reports build "$$run")

compare: $(VENV)/.installed
	$(PY) -m reports compare $(if $(RUNS),$(foreach run,$(RUNS),$(call quote,$(run))),$(call quote,$(RESULTS))) \
		$(if $(BASELINE),--baseline $(call quote,$(BASELINE))) $(if $(FAIL_ABOVE),--fail-above $(call quote,$(FAIL_ABOVE))) \
		$(if $(MIN_EFFECT),--min-effect $(call quote,$(MIN_EFFECT)))

test: $(VENV)/.installed
	$(PY) -m pytest tests $(TEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy bench workloads reports conftest.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
