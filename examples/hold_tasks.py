"""An independent check of memory per waiting task: hold N tasks in this fresh process, read RSS with psutil.

    python examples/hold_tasks.py asyncio 100000
    python examples/hold_tasks.py greenlet 100000
    python examples/hold_tasks.py asyncio-event 100000   # each task in Event.wait: a Future more per task

It shares no code with the benchmark (``bench.micro.footprint`` holds tasks its own
way), so the two figures agree only if both measure what they say: the resident set
this process grows by while N tasks wait, over N. Each task waits on one shared event,
and all are released and joined at the end, so the count held is checked.
"""

from __future__ import annotations

import asyncio
import gc
import sys

import psutil


def rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


def hold_asyncio(n: int, event: bool = False) -> float:
    """N tasks awaiting one shared Future (``event``: each in ``Event.wait``, which makes a Future per waiter)."""

    async def main() -> float:
        release = asyncio.Event()
        shared = asyncio.get_running_loop().create_future()

        async def wait() -> int:
            if event:
                await release.wait()
            else:
                await shared
            return 1

        # Warm the loop and the coroutine machinery first, so that their one-off cost is not counted per task.
        warm = [asyncio.ensure_future(wait()) for _ in range(100)]
        await asyncio.sleep(0)
        before = rss()
        tasks = [asyncio.ensure_future(wait()) for _ in range(n)]
        await asyncio.sleep(0)  # every task starts and waits
        after = rss()
        release.set()
        shared.set_result(None)
        done = sum(await asyncio.gather(*tasks, *warm))
        assert done == n + len(warm), done
        return (after - before) / n

    return asyncio.run(main())


def hold_greenlet(n: int) -> float:
    import greenlet

    hub = greenlet.getcurrent()

    def wait() -> int:
        hub.switch()
        return 1

    warm = [greenlet.greenlet(wait) for _ in range(100)]
    for g in warm:
        g.switch()
    before = rss()
    held = [greenlet.greenlet(wait) for _ in range(n)]
    for g in held:
        g.switch()  # each runs to its wait and switches back
    after = rss()
    done = sum(g.switch() for g in held + warm)
    assert done == n + len(warm), done
    return (after - before) / n


HOLDERS = {
    "asyncio": hold_asyncio,
    "asyncio-event": lambda n: hold_asyncio(n, event=True),
    "greenlet": hold_greenlet,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in HOLDERS or not argv[1].isdigit() or int(argv[1]) < 1:
        print(f"usage: python examples/hold_tasks.py {{{','.join(HOLDERS)}}} N", file=sys.stderr)
        return 2
    per_task = HOLDERS[argv[0]](int(argv[1]))
    print(f"{argv[0]}: {int(argv[1]):,} tasks held, {per_task:,.0f} bytes per task ({per_task / 1024:.2f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
