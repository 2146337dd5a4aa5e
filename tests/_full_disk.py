"""``python -m tests._full_disk DIR``: a run whose disk fills up half-way, and what it left.

Run inside a private mount namespace where DIR is a small tmpfs (the test arranges
that with ``unshare``). The run measures ``sequential`` then ``threads``; once
sequential's session is over, a filler file takes every free byte of DIR, so the
threads session and the runner meet a full disk. Prints one JSON object: the
runner's exit code and stderr, the files left (and whether each parses as JSON),
and sequential's saved cases.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def fill(directory: Path) -> None:
    """Write zeros into ``directory/filler`` until the disk refuses more."""
    with contextlib.suppress(OSError), (directory / "filler").open("wb", buffering=0) as filler:
        while True:
            filler.write(b"\0" * 4096)


def main(directory: Path) -> dict[str, Any]:
    """Run, fill the disk once sequential is done, and describe what the run left."""
    results = directory / "results"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--backends", "sequential,threads",
         "--workloads", "sleep", "--results", str(results), "--no-report"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(results.glob("*/*/logs/threads.0.session.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    fill(directory)
    _out, err = proc.communicate(timeout=180)
    files: dict[str, bool] = {}
    for path in sorted(results.rglob("*")):
        if path.is_file():
            try:
                json.loads(path.read_text())
                files[str(path.relative_to(results))] = True
            except ValueError:
                files[str(path.relative_to(results))] = False
    saved = []
    for path in results.glob("*/*/sequential.0.json"):
        saved = [entry["param"] for entry in json.loads(path.read_text())["benchmarks"]]
    return {"returncode": proc.returncode, "stderr": err, "files": files, "sequential_saved": saved}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
