"""Where runs live: ``<results>/<machine-id>/<run-id>/``, run ids sorting by time.

``python -m bench.layout newest [RESULTS]`` prints the newest run directory (used by
``make report``); exit 2 with a message when there is none.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

MANIFEST = "run.json"


def new_run_dir(results: Path, machine_id: str, profile: str) -> Path:
    """Create and return a fresh run directory named by UTC time and profile."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    parent = results / machine_id
    parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        suffix = "" if attempt == 1 else f".{attempt}"
        run_dir = parent / f"{stamp}{suffix}-{profile}"
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        return run_dir
    raise RuntimeError(f"could not create a new run directory under {parent}")


def run_dirs(results: Path) -> list[Path]:
    """Every run directory (one holding a manifest) under ``results``, oldest first."""
    found = [p.parent for p in results.glob(f"*/*/{MANIFEST}")]
    return sorted(found, key=lambda p: p.name)


def newest_run(results: Path) -> Path | None:
    """The newest run under ``results``, across machines, or None."""
    runs = run_dirs(results)
    return runs[-1] if runs else None


def main(argv: list[str]) -> int:
    """``newest [RESULTS]``: print the newest run directory."""
    if not argv or argv[0] != "newest":
        print("usage: python -m bench.layout newest [RESULTS]", file=sys.stderr)
        return 2
    results = Path(argv[1] if len(argv) > 1 else "results")
    newest = newest_run(results)
    if newest is None:
        print(f"error: no run under {results}/ (run 'make bench' first)", file=sys.stderr)
        return 2
    print(newest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
