"""Run one module of the project in a fresh interpreter and read the last line it prints.

The ideals are timed and the memory holds measured in interpreters of their own (not
in the runner or a session, whose heaps and caches differ); both use this.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: The project's root: a fresh interpreter started here imports the project's modules.
ROOT = Path(__file__).resolve().parent.parent


def last_line(module: str, *args: str, timeout_s: float, failed: str, python: str = sys.executable) -> str:
    """``python -m module args...`` run from the project's root; the last line of its output.

    A non-zero exit raises RuntimeError: ``failed``, then the end of what the child wrote
    to stderr (its traceback's last lines).
    """
    done = subprocess.run(
        [python, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{failed}: {done.stderr.strip()[-2000:]}")
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{failed}: it printed nothing")
    return lines[-1]
