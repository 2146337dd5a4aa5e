"""Every completed case is on disk the moment it completes.

pytest-benchmark writes its JSON file (``--benchmark-json``) once, when the session
ends; a session that dies before then (a task's ``os._exit``, ``kill -9``) would
lose every case it measured. :class:`CaseSaver` rewrites that same standard file
after every case that passed, with all the cases measured so far, through
pytest-benchmark's own hooks (so the file is exactly what pytest-benchmark would
write, ``pytest-benchmark compare`` still reads it), and atomically
(:mod:`bench.atomic`): a reader sees the previous complete file or the new one.

The file is written before the case's outcome is reported, so the outcomes file,
and from it ``run.json``, never say "passed" for a case whose figures are not on
disk. When the write fails (the disk is full), the case is failed with that reason,
the previous file is kept whole, and the session stops: no later case could be
kept either.

A session the runner restarts for the cases a dead one did not reach
(``keep_earlier``) starts from the file the dead one left, and adds to it.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from bench.atomic import write_atomic


def _has_samples(metadata: Any) -> bool:
    # pytest-benchmark's session holds one fixture per case; its Stats keep the samples.
    return bool(getattr(getattr(metadata, "stats", None), "data", None))


class CaseSaver:
    """A pytest plugin that saves the session's pytest-benchmark JSON after every passed case."""

    def __init__(self, config: pytest.Config, keep_earlier: bool = False) -> None:
        self.config = config
        self.keep_earlier = keep_earlier
        self.session: Any = None
        self.path: Path | None = None
        self._commit_info: dict[str, Any] | None = None
        #: Entries a previous session of this process index saved.
        self.earlier: list[dict[str, Any]] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self) -> None:
        # pytest-benchmark makes its session last of all plugins' configure: it exists now.
        self.session = getattr(self.config, "_benchmarksession", None)
        if self.session is None or not self.session.json:
            return
        self.path = Path(self.session.json)
        self.earlier = self._earlier() if self.keep_earlier else []
        # pytest-benchmark's own save at the end goes through the same atomic write.
        self.session.save_json = self._final_write

    def _earlier(self) -> list[dict[str, Any]]:
        if self.path is None:
            return []
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return []
        entries = data.get("benchmarks") if isinstance(data, dict) else None
        return [entry for entry in entries or [] if isinstance(entry, dict)]

    def pytest_benchmark_update_json(self, output_json: dict[str, Any]) -> None:
        """Put the earlier sessions' cases first, unless this session measured them again."""
        if not self.earlier:
            return
        now = {entry.get("fullname") for entry in output_json.get("benchmarks", [])}
        output_json["benchmarks"] = [e for e in self.earlier if e.get("fullname") not in now] + list(
            output_json.get("benchmarks", [])
        )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.when != "call":
            return report
        fixture = getattr(item, "funcargs", {}).get("benchmark")
        if report.failed and fixture is not None:
            # A case stopped mid-round (a time-out) keeps the rounds it had; they are not saved.
            fixture.has_error = True
        elif report.passed and fixture is not None and _has_samples(fixture.stats) and self.path is not None:
            try:
                self.save()
            except OSError as exc:
                fixture.has_error = True
                report.outcome = "failed"
                report.longrepr = f"its figures could not be saved to {self.path}: {exc}"
                item.session.shouldstop = f"the results could not be written ({exc.strerror or exc})"
        return report

    def save(self) -> None:
        """Write every case measured so far (and the earlier sessions'), as pytest-benchmark would."""
        hook = self.config.hook
        benchmarks = [b for b in self.session.benchmarks if _has_samples(b) and not b.has_error]
        if self._commit_info is None:
            self._commit_info = hook.pytest_benchmark_generate_commit_info(config=self.config)
            hook.pytest_benchmark_update_commit_info(config=self.config, commit_info=self._commit_info)
        output_json = hook.pytest_benchmark_generate_json(
            config=self.config,
            benchmarks=benchmarks,
            include_data=True,
            machine_info=self.session.get_machine_info(),
            commit_info=self._commit_info,
        )
        hook.pytest_benchmark_update_json(config=self.config, benchmarks=benchmarks, output_json=output_json)
        self._write(output_json)

    def _final_write(self, output_json: dict[str, Any]) -> None:
        # Every passed case is already on disk; a failure now loses nothing, so one line.
        try:
            self._write(output_json)
        except OSError as exc:
            with contextlib.suppress(OSError):  # the log may be on the same full disk
                print(f"concurrency-bench: could not rewrite {self.path} at the end: {exc}", file=sys.stderr)

    def _write(self, output_json: dict[str, Any]) -> None:
        from pytest_benchmark.utils import safe_dumps

        assert self.path is not None
        write_atomic(self.path, safe_dumps(output_json, ensure_ascii=True, indent=4).encode())
