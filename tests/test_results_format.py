"""The results format is a contract: versioned in every file, refused when unknown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from bench.results_format import FORMAT_KEY, FORMAT_VERSION, MEASURED_KEY, READABLE_MAJORS, major
from reports import ResultFileError, load_run
from reports.__main__ import main
from reports.load import param_columns
from reports.models import MODEL_COLUMNS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COMPLETE = FIXTURES / "runs" / "amd-epyc-7b13-2c-3f9a1c" / "20261121T090000Z"
#: The same run as `COMPLETE`, kept as make_fixtures.py wrote it at format 2.1 (never regenerated).
LEGACY = FIXTURES / "legacy" / "amd-epyc-7b13-2c-3f9a1c" / "20261121T090000Z"


def copy_run(tmp_path: Path) -> Path:
    target = tmp_path / COMPLETE.parent.name / COMPLETE.name
    shutil.copytree(COMPLETE, target)
    return target


def test_this_version_is_readable_and_unversioned_files_are_format_1() -> None:
    assert major(FORMAT_VERSION) in READABLE_MAJORS
    assert major(None) == 1
    assert major("2.7") == 2 and major("x") is None


@pytest.mark.parametrize("name", ["threads.1.json", "run.json"])
def test_an_unknown_major_version_is_refused_naming_the_file(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = copy_run(tmp_path)
    path = run_dir / name
    data = json.loads(path.read_text())
    data[FORMAT_KEY] = "9.0"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultFileError, match=r"results format '9\.0'"):
        load_run(run_dir)
    assert main(["build", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert name in err and "docs/results-format.md" in err
    assert not (run_dir / "report").exists()


def test_a_newer_minor_version_is_read(tmp_path: Path) -> None:
    run_dir = copy_run(tmp_path)
    for path in run_dir.glob("*.json"):
        data = json.loads(path.read_text())
        data[FORMAT_KEY] = f"{major(FORMAT_VERSION)}.99"
        path.write_text(json.dumps(data))
    assert len(load_run(run_dir).frame) == len(load_run(COMPLETE).frame)


def _versions(run_dir: Path) -> set[object]:
    return {json.loads(path.read_text()).get(FORMAT_KEY) for path in run_dir.glob("*.json")}


def test_a_2x_run_and_the_same_run_at_this_version_load_into_the_same_frame() -> None:
    assert _versions(LEGACY) == {"2.1"} and _versions(COMPLETE) == {FORMAT_VERSION}
    old, new = load_run(LEGACY).frame, load_run(COMPLETE).frame
    assert list(old.columns) == list(new.columns)
    # The models' traits came after 2.1: every other column holds the same values.
    compared = [column for column in new.columns if column not in MODEL_COLUMNS]
    pd.testing.assert_frame_equal(old[compared], new[compared])


def _add_reading(run_dir: Path, version: str | None) -> None:
    """Record a per-round reading in every benchmark, at ``version`` and listed as measured (None: as 2.1 did)."""
    for path in run_dir.glob("*.json"):
        data = json.loads(path.read_text())
        for bench in data.get("benchmarks", []):
            extra = bench["extra_info"]
            extra["widgets"] = 1000 * extra["n_tasks"] + len(bench["stats"]["data"])
            if version is not None:
                extra[MEASURED_KEY] = sorted(["ideal_s", "widgets"])
        if version is not None:
            data[FORMAT_KEY] = version
        path.write_text(json.dumps(data))


def test_a_listed_measurement_is_a_reading_and_a_2x_file_reads_as_before(tmp_path: Path) -> None:
    plain = load_run(LEGACY).frame
    as_2x, as_3x = tmp_path / "2x" / LEGACY.name, tmp_path / "3x" / LEGACY.name
    for target, version in ((as_2x, None), (as_3x, FORMAT_VERSION)):
        shutil.copytree(LEGACY, target)
        _add_reading(target, version)
    old, new = load_run(as_2x).frame, load_run(as_3x).frame
    # No workload of the run declares the reading: a 2.x reader took it for a parameter.
    assert "widgets" in param_columns(old) and "reading_widgets" not in old.columns
    assert "widgets" not in param_columns(new) and new["reading_widgets"].notna().all()
    assert param_columns(new) == param_columns(plain)
    assert sorted(new["config"].unique()) == sorted(plain["config"].unique())
