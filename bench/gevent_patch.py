"""gevent's monkey-patching, in one place: the first thing gevent's own interpreters do.

It is the gevent model's ``prelude``: only interpreters that run gevent cases call
:func:`patch_everything` (its sessions, ``bench/session.py``, and its memory holds,
``bench/micro/footprint.py``), before anything else is imported; no other model's
interpreter imports gevent at all.
It is a module of its own, not a function of the model's module
(``bench/models/gevent.py``), because that module imports the harness,
which imports modules gevent patches (``socket``, ``ssl``, ``threading``); this one
imports nothing before gevent. Importing this module patches nothing.
"""


def patch_everything() -> None:
    """Patch the standard library (sockets, threads, time, select...) for gevent."""
    from gevent import monkey

    monkey.patch_all()
