"""The results format is a contract: versioned in every file, refused when unknown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.results_format import FORMAT_KEY, FORMAT_VERSION, READABLE_MAJORS, major
from reports import ResultFileError, load_run
from reports.__main__ import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COMPLETE = FIXTURES / "runs" / "amd-epyc-7b13-2c-3f9a1c" / "20261121T090000Z"


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
