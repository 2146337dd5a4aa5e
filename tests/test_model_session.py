"""A model's own options, preflight and session hooks, proven with a throwaway model in a temporary module.

The model declares an option with an environment variable, refuses to run with a
value its preflight rejects, yields a session state that its cases reach, adds a
machine fact and says how many cores it can use (which the cpu_spin ideal then
counts). It is registered in ``MODELS`` by monkeypatching in this process, and by
a ``sitecustomize`` registry line in the run's interpreters.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import __main__ as cli
from bench.models import MODELS

REPO = Path(__file__).resolve().parent.parent

MODULE = """
from contextlib import contextmanager

from bench.models import Model
from bench.options import Option
from workloads import Form


def _cores(text):
    return int(text)


class Throwaway(Model):
    name = "throwaway"
    form = Form.BLOCKING
    summary = "one task after another, with a session of its own"
    options = (
        Option("--throwaway-label", "a label the session carries", env="THROWAWAY_LABEL", metavar="TEXT"),
        Option("--throwaway-cores", "the cores the model claims", metavar="N", parse=_cores),
    )

    @classmethod
    def preflight(cls, options):
        if options.get("throwaway_label") == "unreachable":
            return "the label 'unreachable' cannot be reached; give another --throwaway-label"
        return None

    @classmethod
    @contextmanager
    def session(cls, options):
        yield {"label": options.get("throwaway_label"), "cores": options.get("throwaway_cores")}

    @classmethod
    def machine_info(cls, state):
        return {"throwaway_label": state["label"]}

    @classmethod
    def cores(cls, state):
        return state["cores"]

    def parameters(self):
        return {"session_label": self.session_state["label"]}

    def run(self, task, n_tasks):
        return [task(i) for i in range(n_tasks)]
"""

REGISTRY_LINE = """
from bench.models import MODELS
MODELS["throwaway"] = "throwaway_model:Throwaway"
"""


@pytest.fixture
def module_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The throwaway model's module in a temporary directory, importable and registered in this process."""
    where = tmp_path / "model"
    where.mkdir()
    (where / "throwaway_model.py").write_text(MODULE)
    (where / "sitecustomize.py").write_text(REGISTRY_LINE)
    monkeypatch.syspath_prepend(str(where))
    monkeypatch.setitem(MODELS, "throwaway", "throwaway_model:Throwaway")
    yield where
    sys.modules.pop("throwaway_model", None)
    importlib.invalidate_caches()


def test_preflight_refusal_exits_2_in_one_line_before_anything_is_made(
    module_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    code = cli.main(["--profile", "smoke", "--backends", "throwaway", "--workloads", "sleep",
                     "--throwaway-label", "unreachable", "--results", str(results), "--no-report"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "throwaway" in err and "'unreachable' cannot be reached" in err, err
    assert not results.exists()


def test_a_bad_option_value_exits_2_naming_the_option(module_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.parser().parse_args(["--throwaway-cores", "many"])
    assert exit_info.value.code == 2


def test_the_option_state_machine_info_and_cores_reach_the_session(module_dir: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    path = os.pathsep.join(p for p in (str(module_dir), str(REPO), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "THROWAWAY_LABEL": "from-the-environment"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--backends", "throwaway", "--workloads", "cpu_spin",
         "--throwaway-cores", "1", "--results", str(results), "--no-report"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = (p.parent for p in results.glob("*/*/run.json"))
    description = json.loads((run / "logs" / "throwaway.0.session.json").read_text())
    assert description["backend_options"] == {"throwaway_label": "from-the-environment", "throwaway_cores": 1}
    data = json.loads((run / "throwaway.0.json").read_text())
    assert data["machine_info"]["throwaway_label"] == "from-the-environment"
    calibration = json.loads((run / "calibration.json").read_text())
    (single,) = calibration["workloads"]["cpu_spin"].values()
    by_n = {b["extra_info"]["n_tasks"]: b["extra_info"] for b in data["benchmarks"]}
    assert set(by_n) == {1, 10}
    assert all(info["session_label"] == "from-the-environment" for info in by_n.values())
    # On the model's one core, 10 tasks are 10 waves of single / 10: the whole work.
    assert by_n[10]["ideal_s"] == pytest.approx(single)
    if calibration["cpu_count"] > 1:
        # The machine's own cores would have given fewer waves.
        assert by_n[10]["ideal_s"] > math.ceil(10 / calibration["cpu_count"]) * single / 10
