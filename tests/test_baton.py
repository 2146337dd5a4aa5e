"""The lockstep of an interleaved pair: two real processes take turns, and never wait forever."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import baton

REPO = Path(__file__).resolve().parents[1]

#: One side of a pair: announce, then N cases of ~20 ms of busy work, each only while holding the baton.
SIDE = """
import json, sys, time
from pathlib import Path
from bench.baton import Baton
directory, role, cases, delay = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
time.sleep(delay)  # an interpreter that starts slowly
side = Baton(directory, role, wait_s=30.0)
ready = time.monotonic()
windows = []
for k in range(cases):
    side.take(last=k == cases - 1)
    start = time.monotonic()
    while time.monotonic() - start < 0.02:
        pass
    windows.append((start, time.monotonic()))
    if k < cases - 1:
        side.give()
side.leave()
print(json.dumps({"ready": ready, "windows": windows, "alone": side.alone}))
"""


def _sides(directory: Path, cases: dict[str, int], delays: dict[str, float]) -> dict[str, dict]:
    specs = baton.make(directory)
    procs = {
        role: subprocess.Popen(
            [sys.executable, "-c", SIDE, specs[role]["directory"], role, str(cases[role]), str(delays[role])],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for role in (baton.FIRST, baton.SECOND)
    }
    return {role: json.loads(proc.communicate(timeout=60)[0]) for role, proc in procs.items()}


def _order(sides: dict[str, dict]) -> list[tuple[float, float, str]]:
    return sorted((start, end, role) for role, side in sides.items() for start, end in side["windows"])


@pytest.mark.timeout(90)
def test_two_sessions_take_turns_case_by_case_and_the_first_waits_for_the_second(tmp_path: Path) -> None:
    # The second side starts half a second late: the first side's first case waits for it.
    sides = _sides(tmp_path, {baton.FIRST: 6, baton.SECOND: 6}, {baton.FIRST: 0.0, baton.SECOND: 0.5})
    order = _order(sides)
    assert [role for _, _, role in order] == [baton.FIRST, baton.SECOND] * 6
    # No two cases overlap: each starts after the one before it ended.
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(order))
    assert order[0][0] >= sides[baton.SECOND]["ready"]
    # A pair that ends together ends quietly: neither went on alone before its last case.
    assert sides[baton.FIRST]["alone"] is None


@pytest.mark.timeout(90)
def test_a_side_with_more_cases_goes_on_alone_once_the_other_has_finished(tmp_path: Path) -> None:
    sides = _sides(tmp_path, {baton.FIRST: 2, baton.SECOND: 5}, {baton.FIRST: 0.0, baton.SECOND: 0.0})
    order = _order(sides)
    assert [role for _, _, role in order][:4] == [baton.FIRST, baton.SECOND] * 2
    assert len(sides[baton.SECOND]["windows"]) == 5
    assert sides[baton.SECOND]["alone"] == "the other session of the pair has finished"


def test_a_side_whose_partner_never_comes_waits_its_limit_then_goes_on_alone(tmp_path: Path) -> None:
    specs = baton.make(tmp_path)
    side = baton.Baton(Path(specs[baton.FIRST]["directory"]), baton.FIRST, wait_s=0.3)
    start = time.monotonic()
    side.take()
    waited = time.monotonic() - start
    assert 0.3 <= waited < 5.0
    assert side.alone is not None and "did not hand over within" in side.alone
    # Alone, it never waits again.
    start = time.monotonic()
    side.take()
    side.give()
    assert time.monotonic() - start < 0.1
    side.leave()


def test_a_side_whose_partner_left_early_goes_on_at_once(tmp_path: Path) -> None:
    specs = baton.make(tmp_path)
    first = baton.Baton(tmp_path, baton.FIRST, wait_s=30.0)
    baton.Baton(tmp_path, baton.SECOND, wait_s=30.0).leave()
    start = time.monotonic()
    first.take()
    assert time.monotonic() - start < 5.0
    assert first.alone == "the other session of the pair has finished"
    assert specs[baton.SECOND]["role"] == baton.SECOND
    first.leave()


def test_a_baton_has_one_of_two_roles(tmp_path: Path) -> None:
    baton.make(tmp_path)
    with pytest.raises(ValueError, match="'first' or 'second'"):
        baton.Baton(tmp_path, "third", wait_s=1.0)
    assert baton.lockstep_plugin(None, 180.0) is None


def test_the_runner_says_done_for_a_side_whose_session_died(tmp_path: Path) -> None:
    specs = baton.make(tmp_path)
    first = baton.Baton(tmp_path, baton.FIRST, wait_s=30.0)
    # The second side's session died before it could say so; the runner says it instead, twice.
    baton.release(specs[baton.SECOND])
    baton.release(specs[baton.SECOND])
    baton.release(None)
    start = time.monotonic()
    first.take()
    assert time.monotonic() - start < 5.0
    assert first.alone == "the other session of the pair has finished"
    first.leave()
