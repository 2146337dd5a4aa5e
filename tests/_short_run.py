"""``python -m tests._short_run SECONDS ARGS...``: ``python -m bench ARGS...`` with a short case time-out.

Every profile's case time-out becomes SECONDS in this runner, and so in the session
descriptions it writes: a test of hung or dying tasks then takes seconds, not the
minutes a real profile allows a case.
"""

from __future__ import annotations

import sys
from dataclasses import replace


def main(argv: list[str]) -> int:
    """Shorten every profile's case time-out to ``argv[0]`` seconds, then run ``python -m bench argv[1:]``."""
    from bench.profiles import PROFILES

    seconds = float(argv[0])
    for name, profile in list(PROFILES.items()):
        PROFILES[name] = replace(profile, case_timeout_s=seconds)
    from bench.__main__ import main as bench

    return bench(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
