"""Measure, once per run and before any timing, the facts that ideals depend on.

The runner calibrates in its own process and hands the same file to every
backend's interpreter, so every model is held against the same ideal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from bench.machine import cpu_count
from bench.profiles import Profile
from workloads import Calibration, cpu_spin, http_calibrate, http_fetch


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
        single[cpu_spin.single_key(params)] = cpu_spin.measure_single_process_s(params["work_units"])
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
    path.write_text(json.dumps(asdict(calibration), indent=2))


def load(path: Path) -> Calibration:
    """Read a calibration written by :func:`save`."""
    data = json.loads(path.read_text())
    return Calibration(**data)
