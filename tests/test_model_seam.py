"""A model is one module plus one registry line: a throwaway model runs a whole smoke session and its report.

The model below is one file in a temporary directory. Its registry line
(``MODELS[name] = "module:Class"``) runs in every interpreter of the run through a
``sitecustomize`` module on ``PYTHONPATH``, as the line in
``bench/models/__init__.py`` would. Nothing else is edited: the workloads, the
micro-costs, the manifest and the report learn the model from its module.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.models import MODELS, load

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("bench", "reports", "workloads")

#: A pool of threads of its own, with a colour, one micro-cost hook (spawn) and a stated skip (switch).
MODULE = """
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from bench.models import Model
from bench.micro._children import ran
from bench.micro._loop import Loop, counted
from bench.micro.costs import SPAWN, SWITCH
from bench.micro.hooks import MicroHooks, MicroLoop, PerProfile, Skip
from workloads import Form


@contextmanager
def spawn_submits(case, k):
    with ThreadPoolExecutor(max_workers=1) as pool:
        def one_round():
            return sum(pool.submit(ran).result() for _ in range(k))

        yield Loop(one_round, counted(k, "spawn: throwaway tasks finished"), k)


class Throwaway(Model):
    name = "throwaway"
    form = Form.BLOCKING
    summary = "a pool of three threads of its own"
    colour = "#123456"

    @classmethod
    def micro_hooks(cls):
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_submits, "submit + result on its own pool", PerProfile(quick=100)),
                SWITCH: Skip("the throwaway model has no second task to hand over to"),
            }
        )

    def setup(self, n_tasks):
        self._pool = ThreadPoolExecutor(max_workers=3)

    def capacity(self, n_tasks):
        return 3

    def close(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=True)

    def run(self, task, n_tasks):
        return list(self._pool.map(task, range(n_tasks)))
"""

REGISTRY_LINE = """
from bench.models import MODELS
MODELS["throwaway"] = "throwaway_model:Throwaway"
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A smoke run of sequential and the throwaway model, every workload and micro-cost, with its report."""
    where = tmp_path_factory.mktemp("model")
    (where / "throwaway_model.py").write_text(MODULE)
    (where / "sitecustomize.py").write_text(REGISTRY_LINE)
    path = os.pathsep.join(p for p in (str(where), str(REPO), os.environ.get("PYTHONPATH")) if p)
    results = where / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--backends", "sequential,throwaway",
         "--results", str(results)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = (p.parent for p in results.glob("*/*/run.json"))
    return run


def _outcomes(run: Path, model: str) -> dict[str, dict[str, Any]]:
    cases = json.loads((run / "logs" / f"{model}.0.outcomes.json").read_text())
    return {case["id"]: case for case in cases}


def test_every_workload_of_the_throwaway_model_is_measured_and_checked(run_dir: Path) -> None:
    outcomes = _outcomes(run_dir, "throwaway")
    workload_cases = {i: c for i, c in outcomes.items() if c["workload"] is not None}
    assert workload_cases, outcomes
    for case_id, case in workload_cases.items():
        # A blocking model runs every workload; only a size the profile cannot afford may skip, with its reason.
        assert case["outcome"] == "passed" or (case["outcome"] == "skipped" and case["reason"]), case_id
    assert sum(c["outcome"] == "passed" for c in workload_cases.values()) >= len(workload_cases) - 2


def test_its_micro_costs_run_its_hook_or_skip_with_the_reason_its_module_gives(run_dir: Path) -> None:
    outcomes = _outcomes(run_dir, "throwaway")
    assert outcomes["throwaway-spawn"]["outcome"] == "passed"
    switch = outcomes["throwaway-switch"]
    assert switch["outcome"] == "skipped"
    assert switch["reason"] == "the throwaway model has no second task to hand over to"
    for micro in ("ipc", "memory"):
        assert outcomes[f"throwaway-{micro}"]["outcome"] == "skipped"
        assert outcomes[f"throwaway-{micro}"]["reason"] == f"throwaway's module gives no {micro} hook"
    spawn = [b for b in json.loads((run_dir / "throwaway.0.json").read_text())["benchmarks"]
             if b["extra_info"].get("micro") == "spawn"]  # fmt: skip
    assert [b["extra_info"]["mechanism"] for b in spawn] == ["submit + result on its own pool"]


def test_the_manifest_and_the_report_learn_the_model_from_its_module(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "run.json").read_text())
    model = manifest["models"]["throwaway"]
    assert model["colour"] == "#123456" and model["summary"] == "a pool of three threads of its own"
    assert model["order"] > manifest["models"]["sequential"]["order"]
    with (run_dir / "report" / "summary.csv").open() as f:
        rows = [row for row in csv.DictReader(f) if row["backend"] == "throwaway"]
    assert {row["workload"] or row["micro"] for row in rows} >= {"cpu_spin", "sleep", "spawn"}
    assert {row["model_colour"] for row in rows} == {"#123456"}
    index = (run_dir / "report" / "index.md").read_text()
    assert "throwaway" in index
    assert any((run_dir / "report").glob("*.png"))


#: Where a model key is named outside its own module (or package) and the registry, on
#: purpose, and why: ``(key, file) -> reason``. A claim about a named model is declared
#: by the workload it is about; the other entries are the same word meaning something
#: other than the model. Changing code so that it needs no entry here is better than
#: adding one.
NAMED_ELSEWHERE: dict[tuple[str, str], str] = {
    ("gevent", "workloads/file_io.py"): "a declared claim about the gevent model: file reads do not cooperate",
    ("gevent", "bench/machine.py"): "the gevent library's distribution, read for machine_info's gevent_version",
    ("greenlet", "bench/machine.py"): "the greenlet library's distribution, read for machine_info's greenlet_version",
    ("uvloop", "bench/machine.py"): "the uvloop library's distribution, read for machine_info's uvloop_version",
    ("sequential", "bench/results_format.py"): (
        "the results format's rule for files before 2.1, which declare no baseline: it was always this model"
    ),
    ("threads", "bench/models/thread_pool.py"): "the noun for a thread pool's workers in its skip reason",
    **{
        ("processes", path): "the number of fresh interpreters per model (an option, a JSON key, a column)"
        for path in (
            "bench/plugin.py",
            "bench/runner.py",
            "reports/compare_render.py",
            "reports/index.py",
            "reports/noise.py",
            "reports/fold_processes.py",
            "reports/precision.py",
        )
    },
}


def _sources() -> dict[str, str]:
    """Every Python file of the program (not its tests), by its path from the repository root."""
    paths = [path for root in ROOTS for path in (REPO / root).rglob("*.py")] + [REPO / "conftest.py"]
    return {path.relative_to(REPO).as_posix(): path.read_text() for path in paths}


def _own_files(key: str) -> set[str]:
    """The files where model ``key`` may be named: its module or package, and the registry."""
    package = REPO / "bench" / "models" / key
    return {
        f"bench/models/{key}.py",
        "bench/models/__init__.py",
        *(path.relative_to(REPO).as_posix() for path in package.rglob("*.py")),
    }


def named_outside(key: str, sources: dict[str, str]) -> set[str]:
    """The files of ``sources``, other than model ``key``'s own, that name it as a string ("gevent", 'gevent[')."""
    quoted = re.compile(rf"""(["']){re.escape(key)}(\1|\[)""")
    return {path for path, text in sources.items() if quoted.search(text)} - _own_files(key)


@pytest.mark.parametrize("key", sorted(MODELS))
def test_every_model_key_is_named_only_in_its_module_and_the_registry(key: str) -> None:
    # The allow-list must match exactly, so that an entry no longer needed fails too.
    sources = _sources()
    assert named_outside(key, sources) == {path for named, path in NAMED_ELSEWHERE if named == key}
    assert f'"{key}": "bench.models.{key}:' in sources["bench/models/__init__.py"]


def test_the_seam_check_finds_a_model_key_named_outside_its_module() -> None:
    sources = {
        "reports/index.py": "if model == 'trio':",
        "bench/runner.py": 'ids = ["gevent[x]"]',
        "bench/models/trio.py": 'name = "trio"',
        "workloads/sleep.py": "# trio's sleep, 'trio_like'",
    }
    assert named_outside("trio", sources) == {"reports/index.py"}
    assert named_outside("gevent", sources) == {"bench/runner.py"}


#: The three models that landed through the seams alone: not even their word is elsewhere.
NEW_MODELS = ("dask", "joblib", "trio")


@pytest.mark.parametrize("key", NEW_MODELS)
def test_a_model_added_through_the_seams_is_named_only_in_its_module_and_the_registry(key: str) -> None:
    pattern = re.compile(rf"\b{key}\b")
    found = {path for path, text in _sources().items() if pattern.search(text)}
    assert found == {f"bench/models/{key}.py", "bench/models/__init__.py"}


@pytest.mark.parametrize("key", sorted(MODELS))
def test_every_model_lives_in_the_module_named_by_its_key(key: str) -> None:
    module, _, _ = MODELS[key].partition(":")
    assert module == f"bench.models.{key}"
    assert load(key).__module__ == module and load(key).name == key


def test_a_module_named_after_its_library_imports_the_library_not_itself() -> None:
    """Absolute imports make ``bench/models/asyncio.py`` safe: ``import asyncio`` in it is the standard library.

    Every model module named after the library it runs is imported, then the library by
    its own name: each is the real library, from outside this project, and where the
    module holds it at its top (asyncio, greenlet) it holds that same library.
    """
    keys = [key for key in sorted(MODELS) if importlib.util.find_spec(key) is not None]
    assert {"asyncio", "greenlet"} <= set(keys)
    code = (
        "import importlib, json, sys\n"
        "found = {}\n"
        f"for key in {keys!r}:\n"
        "    model = importlib.import_module('bench.models.' + key)\n"
        "    library = importlib.import_module(key)\n"
        "    found[key] = [library.__name__, library.__file__, getattr(model, key, library) is library]\n"
        "print(json.dumps(found))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    for key, (name, path, same) in found.items():
        assert name == key and same, key
        assert not Path(path).resolve().is_relative_to(REPO / "bench"), (key, path)
    from bench.models import asyncio as asyncio_model
    from bench.models import greenlet as greenlet_model

    assert asyncio_model.asyncio is asyncio and greenlet_model.greenlet.__name__ == "greenlet"


#: A cooperative model of its own: one event loop per case, gathering every coroutine.
COOPERATIVE_MODULE = """
import asyncio

from bench.models import Model, Traits
from workloads import Form


class Gatherer(Model):
    name = "gatherer"
    form = Form.COROUTINE
    summary = "a loop of its own per case, gathering every coroutine"
    traits = Traits(waits="cooperative", parallel_python=False, in_parent=True, fixed_pool=False)

    def setup(self, n_tasks):
        self._loop = asyncio.new_event_loop()

    def close(self):
        loop = getattr(self, "_loop", None)
        if loop is not None:
            loop.close()

    def run(self, task, n_tasks):
        async def every():
            return await asyncio.gather(*(task(i) for i in range(n_tasks)))

        return self._loop.run_until_complete(every())
"""


def test_a_model_declared_cooperative_is_in_the_waiting_and_io_claims(tmp_path: Path) -> None:
    """No project file names the model: its traits alone put it in the overlap claims, with its figures."""
    (tmp_path / "gatherer_model.py").write_text(COOPERATIVE_MODULE)
    (tmp_path / "sitecustomize.py").write_text(
        'from bench.models import MODELS\nMODELS["gatherer"] = "gatherer_model:Gatherer"\n'
    )
    path = os.pathsep.join(p for p in (str(tmp_path), str(REPO), os.environ.get("PYTHONPATH")) if p)
    results = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--backends", "sequential,gatherer",
         "--workloads", "sleep,http_fetch", "--processes", "1", "--results", str(results)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = (p.parent for p in results.glob("*/*/run.json"))
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["models"]["gatherer"]["traits"]["waits"] == "cooperative"
    index = (run / "report" / "index.md").read_text()
    claims = [line for line in index.splitlines() if line.startswith("| ") and "overlap" in line]
    for how in ("Waiting:", "I/O (HTTP fetches"):
        (line,) = [c for c in claims if c.startswith(f"| {how}")]
        claim, _verdict, evidence = line.strip("| ").split(" | ")[:3]
        assert "gatherer" in claim and "sequential" not in claim, line
        assert re.search(r"gatherer \d+\.\d+x", evidence), line
