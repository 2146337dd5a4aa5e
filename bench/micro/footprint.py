"""One memory hold in a fresh interpreter: bytes per held task, with no instrument running.

``python -m bench.micro.footprint '{"model": ..., "variant": ..., "micro": "memory", "n": N, "ballast": 0, ...}'``
prints one JSON line: ``bytes_per_task`` and, for in-process models,
``python_objects`` (tracemalloc's figure, measured after, in a second hold), for
processes ``pss``. :func:`bench.micro.memory.fresh_holds` runs it once per hold.

The order is what keeps the figure honest: for in-process models a small warm-up
hold first (so one-time costs, such as the first thread's or task's machinery, are
not charged to N tasks),
then the RSS or USS reading with tracemalloc never started in this process, and only
then the tracemalloc hold. The model's prelude (gevent's monkey-patching) runs
first, as in its session.
"""

import json
import sys

if __name__ == "__main__" and len(sys.argv) > 1 and (_first := json.loads(sys.argv[1]).get("prelude")):
    from bench.prelude import run_prelude

    run_prelude(_first)

from typing import Any

#: Tasks held once and released before the measured hold.
WARMUP_TASKS = 16


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the OS (glibc's ``malloc_trim``; elsewhere nothing).

    Memory freed by imports and the warm-up stays resident, and tasks made after it
    reuse it without the resident set growing: trimming first makes the growth count
    what the tasks take.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:
        pass


def measure(spec: dict[str, Any]) -> dict[str, float]:
    """Hold ``spec["n"]`` tasks of the case in ``spec`` in this process; return the bytes per task."""
    import tracemalloc

    from bench.micro import MicroCase
    from bench.micro._loop import expect
    from bench.micro.memory import holder_for, rss_bytes

    n, ballast = int(spec["n"]), int(spec.get("ballast") or 0)
    fields = {k: v for k, v in spec.items() if k in MicroCase.__dataclass_fields__}
    case = MicroCase(**fields)
    with holder_for(case, ballast) as holder:
        if holder.footprint:
            # Children are measured by their own pages, which no earlier hold here changes: no warm-up.
            tasks = holder.hold(n)
            try:
                sizes = holder.footprint(tasks)
            finally:
                expect(holder.release(tasks), n, "memory: held tasks that finished")
            return {"bytes_per_task": sizes["uss"] / n, "pss": sizes["pss"] / n}
        expect(holder.release(holder.hold(min(n, WARMUP_TASKS))), min(n, WARMUP_TASKS), "memory: warm-up tasks")
        assert not tracemalloc.is_tracing(), "tracemalloc must be off while RSS is read"
        release_free_memory()
        before = rss_bytes()
        tasks = holder.hold(n)
        try:
            rss = rss_bytes() - before
        finally:
            expect(holder.release(tasks), n, "memory: held tasks that finished")
        tracemalloc.start()
        try:
            traced_before = tracemalloc.get_traced_memory()[0]
            tasks = holder.hold(n)
            try:
                traced = tracemalloc.get_traced_memory()[0] - traced_before
            finally:
                expect(holder.release(tasks), n, "memory: held tasks that finished")
        finally:
            tracemalloc.stop()
        return {"bytes_per_task": max(rss, 0) / n, "python_objects": traced / n}


def main(argv: list[str]) -> int:
    """Measure the case given as JSON in ``argv[0]`` and print the result as one JSON line."""
    if len(argv) != 1:
        print("usage: python -m bench.micro.footprint CASE_JSON", file=sys.stderr)
        return 2
    print(json.dumps(measure(json.loads(argv[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
