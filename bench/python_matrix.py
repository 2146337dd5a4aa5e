"""The test matrix: the project's tests on every CPython 3.10+ this machine has.

``python -m bench.python_matrix`` (``make test-matrix``) finds interpreters on PATH
(``python3.X``, ``python3.Xt``) and in pyenv's versions folder, keeps the newest of
each minor version (a free-threaded build counts apart: ``3.13t``), and runs
``make test`` with each in its own venv (``.venv-3.X``). It prints one line per
interpreter: its tag, version, the pytest counts and the time. The minor versions the
project claims (``requires-python`` and the ``Programming Language :: Python :: 3.X``
classifiers of pyproject.toml) that are not on the machine are named as missing.

Exit status: 0 when every interpreter run passed, 1 when one failed (or, with
``--strict``, when a claimed version is missing), 2 for a bad option. Each run's
full output is kept in ``build/matrix/<tag>.log``.

Standard library only: it runs under whatever ``python3`` the machine has, before
any venv exists.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.interpreter import MINIMUM, REPO, Interpreter, InterpreterError, probe

LOG_DIR = REPO / "build" / "matrix"
#: Minor versions looked for on PATH beyond the claimed ones (python3.10 ... python3.19).
SEARCH_MINORS = range(MINIMUM[1], 20)
#: pytest's summary words, as its last line counts them.
OUTCOMES = ("passed", "failed", "skipped", "errors", "xfailed", "xpassed")


@dataclass(frozen=True)
class Outcome:
    """One interpreter's run of the suite."""

    interpreter: Interpreter
    returncode: int
    counts: dict[str, int]
    seconds: float
    log: Path

    @property
    def ok(self) -> bool:
        """Whether the suite passed: exit 0 and nothing failed."""
        return self.returncode == 0 and not self.counts.get("failed") and not self.counts.get("errors")


def claimed_minors(pyproject: str) -> list[tuple[int, int]]:
    """The minor versions pyproject.toml claims: its classifiers, from ``requires-python`` up.

    Without classifiers, only the ``requires-python`` minimum is claimed.
    """
    floor_match = re.search(r'requires-python\s*=\s*">=\s*(\d+)\.(\d+)', pyproject)
    floor = (int(floor_match.group(1)), int(floor_match.group(2))) if floor_match else MINIMUM
    listed = {(int(a), int(b)) for a, b in re.findall(r"Programming Language :: Python :: (\d+)\.(\d+)", pyproject)}
    return sorted(v for v in listed | {floor} if v >= floor)


def _version_key(found: Interpreter) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", found.version)[:3])


def candidates(path_env: str | None = None, pyenv_root: Path | None = None) -> list[str]:
    """Paths that may be Python interpreters: ``python3.X[t]`` on PATH, pyenv's ``versions/*/bin``."""
    found: list[str] = []
    for minor in SEARCH_MINORS:
        for suffix in ("", "t"):
            path = shutil.which(f"python3.{minor}{suffix}", path=path_env)
            if path:
                found.append(path)
    root = pyenv_root or Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for version_dir in sorted((root / "versions").glob("*")):
        for name in ("python3", "python3t"):
            path_obj = version_dir / "bin" / name
            if path_obj.is_file() and os.access(path_obj, os.X_OK):
                found.append(str(path_obj))
    return list(dict.fromkeys(found))


def select(interpreters: Iterable[Interpreter]) -> dict[str, Interpreter]:
    """Keep CPython 3.10+ only, the newest of each tag (``3.12``, ``3.13t``), ordered by tag."""
    best: dict[str, Interpreter] = {}
    for found in interpreters:
        if found.implementation != "CPython" or found.version_info < MINIMUM:
            continue
        kept = best.get(found.tag)
        if kept is None or _version_key(found) > _version_key(kept):
            best[found.tag] = found
    return dict(sorted(best.items(), key=lambda item: (item[1].version_info, item[1].free_threaded)))


def discover(paths: Sequence[str]) -> dict[str, Interpreter]:
    """Probe every path (a pyenv shim that is not selected fails, and is left out)."""
    answered = []
    for path in paths:
        try:
            answered.append(probe(path, timeout_s=30))
        except InterpreterError:
            continue
    return select(answered)


def missing_claims(claimed: Iterable[tuple[int, int]], found: Iterable[Interpreter]) -> list[str]:
    """The claimed minor versions no interpreter found provides (a free-threaded build does not count)."""
    have = {f.version_info for f in found if not f.free_threaded}
    return [f"{major}.{minor}" for major, minor in claimed if (major, minor) not in have]


def parse_counts(output: str) -> dict[str, int]:
    """pytest's final counts, from its summary line (``12 passed, 1 skipped in 3.2s``)."""
    for line in reversed(output.splitlines()):
        if re.search(r"\bin [\d.]+s\b", line):
            counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", line)}
            if "error" in counts:
                counts["errors"] = counts.pop("error")
            return {word: n for word, n in counts.items() if word in OUTCOMES}
    return {}


def run_suite(found: Interpreter, test_args: str, timeout_s: float) -> Outcome:
    """``make test`` with ``found`` in ``.venv-<tag>``; its output goes to ``build/matrix/<tag>.log``."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{found.tag}.log"
    command = ["make", "--no-print-directory", "test", f"PYTHON={found.path}", f"VENV=.venv-{found.tag}"]
    if test_args:
        command.append(f"TEST_ARGS={test_args}")
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        try:
            done = subprocess.run(
                command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout_s
            )
            returncode = done.returncode
        except subprocess.TimeoutExpired:
            out.write(f"\nmatrix: stopped after {timeout_s:.0f} s\n")
            returncode = 124
    elapsed = time.perf_counter() - start
    return Outcome(found, returncode, parse_counts(log.read_text(errors="replace")), elapsed, log)


def outcome_line(outcome: Outcome) -> str:
    """One line of the matrix: tag, version, verdict, counts, time."""
    found = outcome.interpreter
    counts = ", ".join(f"{outcome.counts[word]} {word}" for word in OUTCOMES if outcome.counts.get(word)) or "no counts"
    verdict = "ok" if outcome.ok else f"FAILED (exit {outcome.returncode}, see {outcome.log})"
    return f"{found.tag:<6} {found.name:<32} {verdict}: {counts} in {outcome.seconds:.0f} s  [{found.path}]"


def failure_lines(output: str, most: int = 40) -> list[str]:
    """What a failed run's log says went wrong: pytest's ``FAILED``/``ERROR`` lines and the ``E`` lines.

    Printed under the interpreter's line, so that the output of a run elsewhere (CI)
    names the failing test without its log.
    """
    said = [line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR ", "E   "))]
    return said[:most] + ([f"... {len(said) - most} more lines in the log"] if len(said) > most else [])


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m bench.python_matrix``."""
    p = argparse.ArgumentParser(prog="python -m bench.python_matrix", description=__doc__.splitlines()[0])
    p.add_argument("--list", action="store_true", help="name the interpreters found and missing, run nothing")
    p.add_argument("--skip", default=None, help="leave out the interpreter of this tag or python (already tested)")
    p.add_argument("--test-args", default="", help="extra pytest arguments (TEST_ARGS) for every run")
    p.add_argument("--timeout", type=float, default=1500.0, help="seconds one interpreter's run may take")
    p.add_argument("--strict", action="store_true", help="fail when a claimed minor version is missing")
    return p


def _skip_tag(skip: str | None, found: dict[str, Interpreter]) -> str | None:
    if skip is None or skip in found:
        return skip
    try:
        return probe(skip, timeout_s=30).tag
    except InterpreterError as exc:
        raise SystemExit(f"error: --skip {skip}: give a tag ({', '.join(found)}) or a python; {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    """Find the interpreters, run the suite on each, print one line per interpreter."""
    args = parser().parse_args(argv)
    claimed = claimed_minors((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    found = discover(candidates())
    missing = missing_claims(claimed, found.values())
    try:
        skip = _skip_tag(args.skip, found)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    claimed_text = ", ".join(f"{a}.{b}" for a, b in claimed)
    print(f"matrix: claimed {claimed_text}; found {', '.join(found) or 'none'}", flush=True)
    for tag in missing:
        print(f"{tag:<6} MISSING: no CPython {tag} on PATH or in pyenv's versions; it is claimed but not tested")
    outcomes = []
    for tag, interpreter in found.items():
        if args.list:
            print(f"{tag:<6} {interpreter.name:<32} found  [{interpreter.path}]")
            continue
        if tag == skip:
            print(f"{tag:<6} {interpreter.name:<32} skipped: tested already  [{interpreter.path}]", flush=True)
            continue
        outcome = run_suite(interpreter, args.test_args, args.timeout)
        outcomes.append(outcome)
        print(outcome_line(outcome), flush=True)
        if not outcome.ok:
            for line in failure_lines(outcome.log.read_text(errors="replace")):
                print(f"       {line}", flush=True)
    failed = [o.interpreter.tag for o in outcomes if not o.ok]
    if failed:
        print(f"matrix: failed on {', '.join(failed)}")
        return 1
    tested = ", ".join(o.interpreter.tag for o in outcomes)
    gaps = f"; claimed but missing: {', '.join(missing)}" if missing else ""
    if not args.list:
        print(f"matrix: passed on {tested or 'none'}{gaps}")
    return 1 if missing and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
