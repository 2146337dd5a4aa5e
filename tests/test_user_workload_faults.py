"""A user's workload file that misbehaves while loading, or is named awkwardly, on the command line.

Real files, each loaded the way `python -m bench` loads it: checked in a fresh
interpreter under a time-out, so a file that exits, kills its interpreter, raises
KeyboardInterrupt or blocks when imported is one line naming it (exit 2), and the
command line is never taken down with it. A task whose parameters are misnamed is
refused at load, not case by case; a path with a comma can be given.
"""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from bench.__main__ import parser
from tests.test_user_workload import TEMPLATE, bench
from workloads.user_spec import BadWorkloadSpec, check_in_child

GOOD = TEMPLATE.format(answer="i * 2")
#: A workload file that does, when loaded, what a workload file must not; and what its refusal names.
AT_LOAD = {
    "sys-exit": ("import sys\nsys.exit(7)\n" + GOOD, "sys.exit(7)"),
    "os-exit": ("import os\nos._exit(9)\n" + GOOD, "exit status 9"),
    "keyboard-interrupt": ("raise KeyboardInterrupt\n" + GOOD, "KeyboardInterrupt"),
    "misnamed-params": (GOOD.replace("def task(i, params)", "def task(i, p)"), "must be named params"),
}


@pytest.mark.parametrize("case", AT_LOAD.values(), ids=AT_LOAD.keys())
def test_a_workload_file_that_misbehaves_at_load_is_one_line_naming_it_exit_2(
    tmp_path: Path, case: tuple[str, str]
) -> None:
    source, what = case
    path = tmp_path / "mine.py"
    path.write_text(source, encoding="utf-8")
    proc = bench("--profile", "smoke", "--workloads", str(path), "--results", str(tmp_path / "results"), timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert str(path) in proc.stderr and what in proc.stderr, proc.stderr
    assert not (tmp_path / "results").exists(), "nothing may be created for a rejected workload"


def test_a_workload_file_that_blocks_at_import_is_stopped_by_the_time_out(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    path = tmp_path / "blocks.py"
    path.write_text(
        f"import os, threading\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\nthreading.Event().wait()\n"
    )
    start = time.monotonic()
    with pytest.raises(BadWorkloadSpec, match="still loading after 2 s") as refused:
        check_in_child(str(path), timeout_s=2.0)
    assert time.monotonic() - start < 30
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)
    pid = int(pid_file.read_text())
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_workload_path_with_a_comma_is_given_escaped_or_with_workloads_repeated(tmp_path: Path) -> None:
    folder = tmp_path / "a,b"
    folder.mkdir()
    path = folder / "doubling.py"
    path.write_text(GOOD, encoding="utf-8")
    escaped = str(path).replace(",", "\\,")
    assert parser().parse_args(["--workloads", f"{escaped},sleep"]).workloads == [str(path), "sleep"]
    again = ["--workloads", "sleep", "--workloads", escaped, "--workloads", f"spawn,{escaped},sleep"]
    assert parser().parse_args(again).workloads == ["sleep", str(path), "spawn"]
