"""Measure, once per run and before any timing, the facts that ideals depend on.

The runner calibrates in its own process and hands the same file to every
backend's interpreter, so every model is held against the same ideal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from bench.machine import cpu_count
from bench.profiles import Profile
from bench.results_format import FORMAT_KEY, FORMAT_VERSION
from workloads import Calibration, cpu_spin, http_calibrate, http_fetch

#: Longest the fresh interpreter that times cpu_spin may take.
CALIBRATE_TIMEOUT_S = 300.0


def http_urls(profile: Profile, workloads: Iterable[str], http_url: str | None, http_base: str | None) -> list[str]:
    """The URLs the http_fetch cases of this run will fetch."""
    if "http_fetch" not in workloads:
        return []
    if http_url:
        return [http_url]
    params = profile.workloads["http_fetch"]
    if http_base is None:
        raise ValueError("http_fetch needs the local server's base URL or --http-url")
    return [http_fetch.local_url(http_base, params["latency_s"], params["body_bytes"])]


def single_process_s_fresh(work_units: int) -> float:
    """cpu_spin's whole work timed in a fresh interpreter (``python -m bench.calibrate``).

    The results come from fresh interpreters, one per backend, so the ideal is timed
    in one too: not in the runner, whose heap and caches differ.
    """
    done = subprocess.run(
        [sys.executable, "-m", "bench.calibrate", "cpu_spin", str(work_units)],
        capture_output=True,
        text=True,
        timeout=CALIBRATE_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"calibrating cpu_spin failed: {done.stderr.strip()[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def calibrate(
    profile: Profile, workloads: Iterable[str], urls: Iterable[str], server: http_fetch.LocalServer | None = None
) -> Calibration:
    """Measure cpu_spin's single-process time and each URL's one-request time.

    With the local ``server``, also its CPU time per request. Raises
    :class:`workloads.http_fetch.UnreachableURL` naming a URL that fails.
    """
    workloads = list(workloads)
    single: dict[str, float] = {}
    if "cpu_spin" in workloads:
        params = profile.workloads["cpu_spin"]
        single[cpu_spin.single_key(params)] = single_process_s_fresh(params["work_units"])
    request_s: dict[str, float] = {}
    body_bytes: dict[str, int] = {}
    server_cpu: dict[str, float] = {}
    for url in urls:
        found = http_calibrate.calibrate_url(url, server.pid if server else None)
        request_s[url], body_bytes[url] = found.request_s, found.body_bytes
        if found.server_cpu_per_request_s is not None:
            server_cpu[url] = found.server_cpu_per_request_s
    return Calibration(
        cpu_count=cpu_count(),
        single_process_s=single,
        request_s=request_s,
        body_bytes=body_bytes,
        server_cpu_per_request_s=server_cpu,
        server_pid=server.pid if server else None,
        server_workers=server.workers if server else None,
    )


def save(calibration: Calibration, path: Path) -> None:
    """Write ``calibration`` as JSON."""
    path.write_text(json.dumps({FORMAT_KEY: FORMAT_VERSION, **asdict(calibration)}, indent=2))


def load(path: Path) -> Calibration:
    """Read a calibration written by :func:`save`."""
    data = json.loads(path.read_text())
    data.pop(FORMAT_KEY, None)
    return Calibration(**data)


def main(argv: list[str]) -> int:
    """``python -m bench.calibrate cpu_spin WORK_UNITS``: print cpu_spin's single-process time (a median)."""
    if len(argv) != 2 or argv[0] != "cpu_spin" or not argv[1].isdigit():
        print(
            f"error: expected 'cpu_spin WORK_UNITS' (the only calibration, a whole number of loop steps), "
            f"got {' '.join(argv) or 'nothing'!r}",
            file=sys.stderr,
        )
        return 2
    print(cpu_spin.measure_single_process_s(int(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
