# concurrency-bench: the user's verbs. Each target bootstraps .venv from pyproject.toml.

# A user's value is text: make never expands it (`$(shell ...)` in one is not run, `$x`
# stays `$x`), the shell gets it single-quoted, and one holding `$(`, `${`, a backtick or a
# newline is refused before anything runs, as no value needs them.
USER_VARIABLES := PYTHON VENV PROFILE MODELS BACKENDS WORKLOADS RESULTS HTTP_URL HTTP_SERVER_WORKERS PROCESSES TASKS MAX_TASKS MAX_MEMORY \
	DASK_SCHEDULER RUN RUNS BASELINE FAIL_ABOVE MIN_EFFECT TEST_ARGS MATRIX_ARGS
DOLLAR_PAREN := $$(
DOLLAR_BRACE := $${
BACKTICK := `
define NEWLINE


endef
given_by_user = $(filter command% environment%,$(origin $(1)))
unsafe = $(or $(findstring $(DOLLAR_PAREN),$(value $(1))),$(findstring $(DOLLAR_BRACE),$(value $(1))),\
	$(findstring $(BACKTICK),$(value $(1))),$(findstring $(NEWLINE),$(value $(1))))
$(foreach v,$(USER_VARIABLES),$(if $(call given_by_user,$(v)),$(if $(call unsafe,$(v)),\
	$(error $(v) holds $(DOLLAR_PAREN), $(DOLLAR_BRACE), a backtick or a newline; give the value itself: make passes it as it is written))))

PYTHON ?= python3
# PYTHON=path picks the interpreter, with a venv of its own: .venv-3.12, .venv-3.13t (free-threaded).
# PYTHON="A B" (two interpreters) measures both side by side, process by process in alternation.
py_tag = $(shell $(1) -c 'import sys, sysconfig; v = sys.version_info; \
	print("%d.%d%s" % (v[0], v[1], "t" if sysconfig.get_config_var("Py_GIL_DISABLED") else "") if v >= (3, 10) else "")' 2>/dev/null)
ifeq ($(words $(PYTHON)),2)
PYTHON_B := $(word 2,$(PYTHON))
override PYTHON := $(word 1,$(PYTHON))
PY_TAG_B := $(call py_tag,$(PYTHON_B))
ifeq ($(PY_TAG_B),)
$(error PYTHON: $(PYTHON_B) is not a Python 3.10 or newer; give the paths of two, e.g. PYTHON="python3.11 python3.12")
endif
VENV_B := .venv-$(PY_TAG_B)
endif
ifeq ($(origin PYTHON),file)
VENV ?= .venv
else
PY_TAG := $(call py_tag,$(PYTHON))
ifeq ($(PY_TAG),)
$(error PYTHON=$(PYTHON) is not a Python 3.10 or newer; give the path of one, e.g. PYTHON=/usr/bin/python3.12)
endif
VENV ?= .venv-$(PY_TAG)
endif
PY := $(VENV)/bin/python
PROFILE ?= quick
MODELS ?=
# BACKENDS= is the older name of MODELS=.
BACKENDS ?=
WORKLOADS ?=
RESULTS ?= results
HTTP_URL ?=
HTTP_SERVER_WORKERS ?=
PROCESSES ?=
TASKS ?=
MAX_TASKS ?=
MAX_MEMORY ?=
RUN ?=
RUNS ?=
BASELINE ?=
FAIL_ABOVE ?=
MIN_EFFECT ?=
TEST_ARGS ?=
MATRIX_ARGS ?=

# Values reach the shell single-quoted, so '&', '?', spaces and the like arrive intact.
quote = '$(subst ','\'',$(1))'
# The variable named $(1), unexpanded and quoted: its text as the user wrote it.
arg = $(call quote,$(value $(1)))

BENCH_ARGS = --profile $(call arg,PROFILE) --results $(call arg,RESULTS) \
	$(if $(value BACKENDS),--backends $(call arg,BACKENDS)) \
	$(if $(value MODELS),--models $(call arg,MODELS)) \
	$(if $(value WORKLOADS),--workloads $(call arg,WORKLOADS)) \
	$(if $(value HTTP_URL),--http-url $(call arg,HTTP_URL)) \
	$(if $(value PROCESSES),--processes $(call arg,PROCESSES)) \
	$(if $(value TASKS),--tasks $(call arg,TASKS)) \
	$(if $(value MAX_TASKS),--max-tasks $(call arg,MAX_TASKS)) \
	$(if $(value MAX_MEMORY),--max-memory $(call arg,MAX_MEMORY)) \
	$(if $(value HTTP_SERVER_WORKERS),--http-server-workers $(call arg,HTTP_SERVER_WORKERS))

.PHONY: bench scale report compare test test-matrix venv lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

ifdef VENV_B
bench: $(VENV)/.installed
	$(MAKE) venv PYTHON=$(call quote,$(PYTHON_B))
	$(PY) -m bench $(BENCH_ARGS) --python $(PY) --python $(VENV_B)/bin/python
else
bench: $(VENV)/.installed
	$(PY) -m bench $(BENCH_ARGS)
endif

# Where each model stops: the scale profile's climb (1k to 100k tasks; MAX_TASKS=, MAX_MEMORY=).
scale:
	$(MAKE) --no-print-directory bench PROFILE=scale

report: $(VENV)/.installed
	$(if $(value RUN),$(PY) -m reports build $(call arg,RUN),\
		run="$$($(PY) -m bench.layout newest $(call arg,RESULTS))" && $(PY) -m reports build "$$run")

compare: $(VENV)/.installed
	$(PY) -m reports compare $(if $(value RUNS),$(foreach run,$(value RUNS),$(call quote,$(run))),$(call arg,RESULTS)) \
		$(if $(value BASELINE),--baseline $(call arg,BASELINE)) \
		$(if $(value FAIL_ABOVE),--fail-above $(call arg,FAIL_ABOVE)) \
		$(if $(value MIN_EFFECT),--min-effect $(call arg,MIN_EFFECT))

test: $(VENV)/.installed
	$(PY) -m pytest tests $(value TEST_ARGS)

# The suite on every CPython 3.10+ found (PATH, pyenv), each in its own .venv-3.X.
test-matrix:
	$(PYTHON) -m bench.python_matrix $(value MATRIX_ARGS)

venv: $(VENV)/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy bench workloads reports conftest.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
