"""Measure, once per run and before any timing, the facts that ideals depend on.

The runner calibrates in its own process and hands the same file to every
backend's interpreter, so every model is held against the same ideal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.machine import cpu_count
from bench.profiles import Profile
from bench.results_format import FORMAT_KEY, FORMAT_VERSION
from workloads import Calibration, cpu_release, cpu_spin, fetch_parse, file_io, http_calibrate, http_fetch

#: What a fresh interpreter times for each workload, given its size: the whole work
#: (cpu_spin, cpu_release), one warm file read (file_io), one parse (fetch_parse).
MEASURES: dict[str, Callable[[int], float]] = {
    "cpu_spin": cpu_spin.measure_single_process_s,
    "cpu_release": cpu_release.measure_single_process_s,
    "file_io": file_io.measure_single_process_s,
    "fetch_parse": fetch_parse.measure_single_process_s,
}
#: Each workload's size parameter and calibration key.
SIZES: dict[str, tuple[str, Callable[[Mapping[str, Any]], str]]] = {
    "cpu_spin": ("work_units", cpu_spin.single_key),
    "cpu_release": ("total_bytes", cpu_release.single_key),
    "file_io": ("file_bytes", file_io.single_key),
    "fetch_parse": ("body_bytes", fetch_parse.parse_key),
}

#: Longest the fresh interpreter that times cpu_spin may take.
CALIBRATE_TIMEOUT_S = 300.0


def needs_local_server(workloads: Iterable[str], http_url: str | None) -> bool:
    """Whether the run needs the local HTTP server: fetch_parse always, http_fetch without a URL of the user's."""
    workloads = list(workloads)
    return "fetch_parse" in workloads or ("http_fetch" in workloads and not http_url)


def http_urls(profile: Profile, workloads: Iterable[str], http_url: str | None, http_base: str | None) -> list[str]:
    """The URLs the http_fetch and fetch_parse cases of this run will fetch."""
    workloads = list(workloads)
    urls = []
    if "http_fetch" in workloads:
        if http_url:
            urls.append(http_url)
        else:
            params = profile.workloads["http_fetch"]
            if http_base is None:
                raise ValueError("http_fetch needs the local server's base URL or --http-url")
            urls.append(http_fetch.local_url(http_base, params["latency_s"], params["body_bytes"]))
    if "fetch_parse" in workloads:
        params = profile.workloads["fetch_parse"]
        if http_base is None:
            raise ValueError("fetch_parse needs the local server's base URL")
        urls.append(fetch_parse.local_url(http_base, params["latency_s"], params["body_bytes"]))
    return urls


def single_process_s_fresh(work_units: int, workload: str = "cpu_spin") -> float:
    """A workload's calibrated time (see :data:`MEASURES`) in a fresh interpreter (``python -m bench.calibrate``).

    The results come from fresh interpreters, one per backend, so the ideal is timed
    in one too: not in the runner, whose heap and caches differ.
    """
    done = subprocess.run(
        [sys.executable, "-m", "bench.calibrate", workload, str(work_units)],
        capture_output=True,
        text=True,
        timeout=CALIBRATE_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"calibrating {workload} failed: {done.stderr.strip()[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def calibrate(
    profile: Profile, workloads: Iterable[str], urls: Iterable[str], server: http_fetch.LocalServer | None = None
) -> Calibration:
    """Measure each CPU or file workload's time in a fresh interpreter and each URL's one-request time.

    With the local ``server``, also its CPU time per request. Raises
    :class:`workloads.http_fetch.UnreachableURL` naming a URL that fails.
    """
    workloads = list(workloads)
    single: dict[str, float] = {}
    for name, (size, key) in SIZES.items():
        if name in workloads:
            params = profile.workloads[name]
            single[key(params)] = single_process_s_fresh(params[size], name)
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
    """``python -m bench.calibrate WORKLOAD SIZE``: print the workload's calibrated time (a median)."""
    if len(argv) != 2 or argv[0] not in MEASURES or not argv[1].isdigit():
        print(
            f"error: expected 'cpu_spin WORK_UNITS' (a whole number of loop steps) or 'WORKLOAD BYTES' with "
            f"WORKLOAD one of {', '.join(m for m in MEASURES if m != 'cpu_spin')}, got {' '.join(argv) or 'nothing'!r}",
            file=sys.stderr,
        )
        return 2
    print(MEASURES[argv[0]](int(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
