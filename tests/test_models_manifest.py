"""Models declare themselves; run.json records them; the reports learn them from there.

A model's colour, its place in the charts and whether it is the baseline come from its
class (`bench.models.Model`), through the `models` section of `run.json`, into
every chart; `unavailable()` reads what a model `requires`. A run written before that
section existed falls back to a guess made in one place (`reports.models`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from bench import machine
from bench.colours import SPARE_COLOURS, stable_colour
from bench.models import MODELS, WAITS, Model, Traits, load, unavailable
from bench.results_format import FORMAT_VERSION
from bench.runner import models_section
from reports import charts, load_run
from reports.frames import case_groups, ordered_series
from reports.models import add_model_columns, declared_models
from workloads import Form

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COMPLETE = FIXTURES / "runs" / "amd-epyc-7b13-2c-3f9a1c" / "20261121T090000Z"
REPO = Path(__file__).resolve().parent.parent
#: A model no code of the project knows: the run's files are all that name it.
NEWCOMER = "quokka"
NEWCOMER_COLOUR = "#123456"


class Ghost(Model):
    """A model that needs a module no machine has."""

    name = "ghost"
    form = Form.BLOCKING
    summary = "needs a module that does not exist"
    requires = ("no_such_module_for_concurrency_bench",)
    packages = ("no-such-distribution-for-concurrency-bench", "pytest")


class Present(Model):
    """A model whose requirement is the standard library: always available."""

    name = "present"
    form = Form.BLOCKING
    summary = "needs only json"
    requires = ("json",)


class Undeclared(Model):
    """A model that declares no colour."""

    name = "undeclared"
    form = Form.BLOCKING
    summary = "declares nothing"
    colour = "#abcdef"


class UndeclaredChild(Undeclared):
    """A model built on another, declaring no colour of its own."""

    name = "undeclared_child"


def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def newcomer_run(tmp_path: Path) -> Path:
    """Copy the complete fixture run, with its `threads` sessions renamed to a model unknown to the code.

    The manifest declares the newcomer first in the chart order, in its own colour,
    and as the baseline in place of the registry's baseline.
    """
    run = tmp_path / COMPLETE.parent.name / COMPLETE.name
    shutil.copytree(COMPLETE, run)
    for file in sorted(run.glob("threads.*.json")):
        data = _read(file)
        data["session"]["backend"] = NEWCOMER
        for bench in data["benchmarks"]:
            bench["extra_info"]["backend"] = NEWCOMER
            bench["name"] = bench["name"].replace("threads", NEWCOMER)
            bench["fullname"] = bench["fullname"].replace("threads", NEWCOMER)
        _write(run / file.name.replace("threads", NEWCOMER), data)
        file.unlink()
    manifest = _read(run / "run.json")
    entry = manifest["backends"].pop("threads")
    entry["json"] = [name.replace("threads", NEWCOMER) for name in entry["json"]]
    manifest["backends"][NEWCOMER] = entry
    models = manifest["models"]
    del models["threads"]
    for declared in models.values():
        declared["baseline"] = False
    models[NEWCOMER] = {
        "order": -1,
        "colour": NEWCOMER_COLOUR,
        "summary": "a model added after this code was written",
        "baseline": True,
        "requires": [],
    }
    _write(run / "run.json", manifest)
    return run


def sleep_rows(run: Path) -> pd.DataFrame:
    """The rows of the run's first workload configuration (sleep)."""
    case, _, rows = next(case_groups(load_run(run).frame, "workload"))
    assert case == "sleep"
    return rows


def line_colours(fig: Figure) -> dict[str, tuple[float, float, float, float]]:
    """Each labelled line of a figure's first axes, by label, with its colour."""
    return {str(line.get_label()): to_rgba(line.get_color()) for line in fig.axes[0].get_lines()}


def test_a_model_unknown_to_the_code_is_charted_in_its_declared_colour_and_place(tmp_path: Path) -> None:
    rows = sleep_rows(newcomer_run(tmp_path))
    # By name the newcomer would come fourth; the manifest puts it first.
    assert sorted(rows["series"].unique()).index(NEWCOMER) != 0
    assert ordered_series(rows)[0] == NEWCOMER
    scaling = charts.scaling_figure(rows)
    assert line_colours(scaling)[NEWCOMER] == to_rgba(NEWCOMER_COLOUR)
    box = scaling.axes[0].get_legend()
    assert box is not None
    legend = [t.get_text() for t in box.get_texts()]
    assert legend[0] == NEWCOMER
    bars = charts.bars_figure(rows).axes[0]
    labels = [t.get_text() for t in bars.get_yticklabels()]
    assert to_rgba(bars.patches[labels.index(NEWCOMER)].get_facecolor()) == to_rgba(NEWCOMER_COLOUR)


def test_the_speedup_chart_divides_by_the_declared_baseline(tmp_path: Path) -> None:
    rows = sleep_rows(newcomer_run(tmp_path))
    fig = charts.speedup_figure(rows)
    assert fig is not None
    ax = fig.axes[0]
    assert f"speedup over {NEWCOMER}" in ax.get_title()
    lines = {str(line.get_label()): line for line in ax.get_lines()}
    assert NEWCOMER not in lines  # the baseline is the line at 1, not a series
    assert f"{NEWCOMER} (1x)" in lines
    assert to_rgba(lines[f"{NEWCOMER} (1x)"].get_color()) == to_rgba(NEWCOMER_COLOUR)
    medians = rows.set_index(["series", "n_tasks"])["median"]
    x = np.asarray(lines["sequential"].get_xdata(), dtype=float)
    y = np.asarray(lines["sequential"].get_ydata(), dtype=float)
    assert x.size > 1
    for n, speedup in zip(x, y, strict=True):
        expected = medians[(NEWCOMER, int(n))] / medians[("sequential", int(n))]
        assert speedup == pytest.approx(expected, rel=1e-9)


def test_a_run_without_a_models_section_falls_back_to_names_and_stable_colours(tmp_path: Path) -> None:
    run = tmp_path / COMPLETE.parent.name / COMPLETE.name
    shutil.copytree(COMPLETE, run)
    manifest = _read(run / "run.json")
    declared = manifest.pop("models")
    manifest["format_version"] = "2.0"
    _write(run / "run.json", manifest)
    rows = sleep_rows(run)
    series = ordered_series(rows)
    assert series == sorted(series)
    assert series != ordered_series(sleep_rows(COMPLETE))  # the declared order differs
    colours = line_colours(charts.scaling_figure(rows))
    for name in ("gevent", "asyncio"):
        assert colours[name] == to_rgba(stable_colour(name))
        assert stable_colour(name) != declared[name]["colour"]
    fig = charts.speedup_figure(rows)
    assert fig is not None
    assert "speedup over sequential" in fig.axes[0].get_title()


def test_unavailable_names_a_required_module_that_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "ghost", f"{__name__}:Ghost")
    monkeypatch.setitem(MODELS, "present", f"{__name__}:Present")
    reason = unavailable("ghost")
    assert reason is not None
    assert "no_such_module_for_concurrency_bench" in reason and "not installed" in reason
    assert unavailable("present") is None


def test_a_dotted_requirement_whose_package_is_missing_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Ghost, "requires", ("no_such_package_for_concurrency_bench.sub",))
    monkeypatch.setitem(MODELS, "ghost", f"{__name__}:Ghost")
    reason = unavailable("ghost")
    assert reason is not None and "no_such_package_for_concurrency_bench.sub" in reason


def test_a_model_without_a_colour_gets_its_own_stable_one() -> None:
    assert Undeclared.colour == "#abcdef"
    # Not the colour of the class it extends: its own pick by name.
    assert UndeclaredChild.colour == stable_colour("undeclared_child")
    assert UndeclaredChild.colour in SPARE_COLOURS
    assert Ghost.colour == stable_colour("ghost")


def test_registered_models_declare_distinct_colours_and_one_baseline() -> None:
    classes = [load(name) for name in MODELS]
    assert len({cls.colour for cls in classes}) == len(classes)
    # A model that declares no colour gets a spare one: none of them is a built-in model's.
    assert not {cls.colour for cls in classes} & set(SPARE_COLOURS)
    assert [cls.name for cls in classes if cls.baseline] == ["sequential"]


def test_models_section_follows_the_registry_order() -> None:
    names = list(MODELS)
    section = models_section(reversed(names[:3]))
    assert list(section) == names[:3]
    assert [entry["order"] for entry in section.values()] == [0, 1, 2]
    for name, entry in section.items():
        cls = load(name)
        assert entry == {
            "order": names.index(name),
            "colour": cls.colour,
            "summary": cls.summary,
            "baseline": cls.baseline,
            "requires": list(cls.requires),
            "traits": cls.traits.as_record(),
        }


def test_every_registered_model_declares_its_traits() -> None:
    for name in MODELS:
        traits = load(name).traits
        assert isinstance(traits, Traits), f"{name} declares no traits"
        assert traits.waits in WAITS


def test_a_trait_outside_the_choices_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="valid: cooperative, thread, process, none"):
        Traits(waits="sometimes", parallel_python=False, in_parent=True, fixed_pool=False)


def test_malformed_traits_in_a_manifest_are_left_out() -> None:
    manifest = {
        "models": {
            "a": {"order": 0, "traits": {"waits": "cooperative", "in_parent": "yes", "fixed_pool": False}},
            "b": {"order": 1, "traits": "cooperative"},
            "c": {"order": 2},
        }
    }
    models = declared_models(manifest, ["a", "b", "c"])
    assert dict(models["a"].traits) == {"waits": "cooperative", "fixed_pool": False}
    assert dict(models["b"].traits) == {} == dict(models["c"].traits)
    frame = add_model_columns(pd.DataFrame({"backend": ["a", "c"]}), models)
    assert frame["model_waits"].iloc[0] == "cooperative"
    assert frame["model_waits"].iloc[1:].isna().all() and frame["model_in_parent"].isna().all()


def test_machine_info_records_the_installed_packages_every_model_declares(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "ghost", f"{__name__}:Ghost")
    packages = machine.model_packages()
    assert packages["pytest"] == metadata.version("pytest")
    assert "no-such-distribution-for-concurrency-bench" not in packages
    for name in MODELS:
        for package in load(name).packages:
            assert (package in packages) == (machine.version_of(package) is not None)


def test_a_real_run_records_its_models_and_their_packages(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable, "-m", "bench", "--profile", "smoke", "--backends", "threads,sequential",
            "--workloads", "sleep", "--processes", "1", "--results", str(tmp_path), "--no-report",
        ],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = next(tmp_path.glob("*/*/run.json")).parent
    manifest = _read(run / "run.json")
    assert manifest["format_version"] == FORMAT_VERSION
    assert list(manifest["models"]) == ["sequential", "threads"]
    assert manifest["models"]["sequential"]["baseline"] is True
    assert manifest["models"]["threads"]["traits"] == load("threads").traits.as_record()
    info = _read(run / "threads.0.json")["machine_info"]
    assert info["packages"] == machine.model_packages()
    frame = load_run(run).frame
    colours = dict(zip(frame["backend"], frame["model_colour"], strict=True))
    assert colours == {name: load(name).colour for name in ("sequential", "threads")}
    waits = dict(zip(frame["backend"], frame["model_waits"], strict=True))
    assert waits == {name: load(name).traits.waits for name in ("sequential", "threads")}
