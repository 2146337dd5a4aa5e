"""The local HTTP server's CPU time, read from the OS (psutil), for every round.

A server on the same machine takes CPU from the models it serves. Its supervisor and
worker processes are read before and after a round; the difference is the CPU the
server spent on that round, and divided by the round's wall time it is the server's
busy share in cores (1.0 = one core busy all round long).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psutil

#: A case is "server-bound" when, in the median round, the server kept at least
#: this share of one core busy: near a full core, the server is what the clients wait for.
SERVER_BOUND_SHARE = 0.8
EXTERNAL_REASON = "a server given by URL runs elsewhere: its CPU time is not measured"


def _schedstat_s(pid: int) -> float | None:
    """Time on a CPU of every thread of ``pid``, in ns from ``/proc``; None where absent.

    psutil's user + system times tick in hundredths of a second, too coarse for a
    round of a few milliseconds; Linux's schedstat counts nanoseconds.
    """
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat", "rb") as stat:
                total += int(stat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e9


class ServerCpu:
    """Reads the summed CPU time of a server and its workers."""

    def __init__(self, pid: int) -> None:
        # psutil is imported here, not with the module: its C part cannot load in a
        # subinterpreter, and every workload module imports this one.
        import psutil

        root = psutil.Process(pid)
        self.processes: list[psutil.Process] = [root, *root.children(recursive=True)]
        self.fine = all(_schedstat_s(proc.pid) is not None for proc in self.processes)

    def cpu_s(self) -> float:
        """CPU seconds used so far by the server's processes (those still alive).

        In nanoseconds from ``/proc/<pid>/task/*/schedstat`` where Linux has it, else
        psutil's user + system times.
        """
        import psutil

        total = 0.0
        for proc in self.processes:
            if self.fine:
                total += _schedstat_s(proc.pid) or 0.0
                continue
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total


@dataclass
class RoundMeter:
    """Measures the server's CPU over each round: call ``before`` and ``after`` untimed.

    It also reads the kernel's TCP counters around each round (:func:`tcp_counters`):
    connections accepted on this machine, and accept queues that overflowed.
    """

    server: ServerCpu
    cpu_s: list[float] = field(default_factory=list)
    wall_s: list[float] = field(default_factory=list)
    tcp: list[dict[str, int]] = field(default_factory=list)
    _cpu0: float = 0.0
    _t0: float = 0.0
    _tcp0: dict[str, int] = field(default_factory=dict)

    def before(self) -> None:
        """Read the server's CPU and the TCP counters, then start the round's clock."""
        self._tcp0 = tcp_counters()
        self._cpu0 = self.server.cpu_s()
        self._t0 = time.perf_counter()

    def after(self) -> None:
        """Stop the round's clock, then read the server's CPU and the counters again."""
        wall = time.perf_counter() - self._t0
        self.cpu_s.append(self.server.cpu_s() - self._cpu0)
        self.wall_s.append(wall)
        after = tcp_counters()
        self.tcp.append({key: after[key] - self._tcp0[key] for key in after.keys() & self._tcp0.keys()})

    def extra_info(self, workers: int | None) -> dict[str, Any]:
        """The figures a benchmark records: medians over its rounds, and every round's CPU."""
        if not self.cpu_s:
            return unmeasured("no round was measured")
        shares = [cpu / wall for cpu, wall in zip(self.cpu_s, self.wall_s, strict=True) if wall > 0]
        share = statistics.median(shares) if shares else None
        return {
            "server_cpu_s": round(statistics.median(self.cpu_s), 6),
            "server_busy_share": None if share is None else round(share, 4),
            "server_bound": share is not None and share >= SERVER_BOUND_SHARE,
            "server_workers": workers,
            "server_cpu_s_rounds": [round(value, 6) for value in self.cpu_s],
            "server_cpu_reason": None,
            **{key: max(r[key] for r in self.tcp) if all(key in r for r in self.tcp) else None for key in TCP_KEYS},
        }


#: The TCP counters read around each round (the most of any round): connections accepted
#: on this machine (``PassiveOpens``), and SYNs or connections dropped because a listen
#: queue was full (``ListenOverflows``, ``ListenDrops``). They count the whole machine:
#: on one that serves nothing else, the local server.
TCP_KEYS = ("tcp_accepted", "listen_overflows", "listen_drops")
_TCP_SOURCES = {
    "tcp_accepted": ("/proc/net/snmp", "Tcp:", "PassiveOpens"),
    "listen_overflows": ("/proc/net/netstat", "TcpExt:", "ListenOverflows"),
    "listen_drops": ("/proc/net/netstat", "TcpExt:", "ListenDrops"),
}


def tcp_counters() -> dict[str, int]:
    """The kernel's TCP counters of :data:`TCP_KEYS` now; those it does not give (not Linux) are left out."""
    found: dict[str, int] = {}
    tables: dict[str, list[list[str]]] = {}
    for key, (path, prefix, name) in _TCP_SOURCES.items():
        if path not in tables:
            try:
                with open(path) as file:
                    tables[path] = [line.split() for line in file]
            except OSError:
                tables[path] = []
        rows = [row for row in tables[path] if row and row[0] == prefix]
        for names, values in zip(rows[::2], rows[1::2], strict=False):
            if name in names:
                found[key] = int(values[names.index(name)])
    return found


def unmeasured(reason: str) -> dict[str, Any]:
    """The figures of a case whose server CPU is not measured, with the reason."""
    return {
        "server_cpu_s": None,
        "server_busy_share": None,
        "server_bound": None,
        "server_workers": None,
        "server_cpu_s_rounds": None,
        "server_cpu_reason": reason,
        **dict.fromkeys(TCP_KEYS),
    }
