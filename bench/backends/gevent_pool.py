"""gevent: ``gevent.spawn`` + ``joinall`` over the blocking form, monkey-patched.

This backend only runs in gevent's own interpreter, where ``bench.session`` applies
gevent's monkey-patching before anything else; ``time.sleep`` and ``urlopen``'s
sockets then yield to gevent's hub by themselves.
"""

from __future__ import annotations

from typing import Any

from bench.backends._base import Backend, Task
from workloads import Form


class Gevent(Backend):
    """Spawn a greenlet per task and join them all; errors are re-raised."""

    name = "gevent"
    form = Form.BLOCKING
    summary = "gevent.spawn + joinall over the blocking form, monkey-patched"
    colour = "#2ca02c"
    packages = ("gevent",)

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        import gevent

        greenlets = [gevent.spawn(task, i) for i in range(n_tasks)]
        gevent.joinall(greenlets, raise_error=True)
        return [glet.value for glet in greenlets]
