"""Backends: HOW tasks are run, one module (or package) per concurrency model, one registry.

The registry maps each key (also its pytest id and chart label) to where its class
lives (always ``bench.backends.<key>``, a module or a package), and imports it only
when asked: gevent and uvloop must not be imported into another model's interpreter.
A module named after its model's library is safe: every import is absolute, so
``import asyncio`` inside :mod:`bench.backends.asyncio` is the standard library's.
"""

from __future__ import annotations

import importlib
import importlib.util

from bench.backends._base import WAITS, Backend, Task, Traits

BACKENDS: dict[str, str] = {
    "sequential": "bench.backends.sequential:Sequential",
    "threads": "bench.backends.threads:Threads",
    "thread_pool": "bench.backends.thread_pool:ThreadPool",
    "processes": "bench.backends.processes:Processes",
    "process_pool": "bench.backends.process_pool:ProcessPool",
    "generators": "bench.backends.generators:Generators",
    "greenlet": "bench.backends.greenlet:Greenlet",
    "gevent": "bench.backends.gevent:Gevent",
    "asyncio": "bench.backends.asyncio:Asyncio",
    "uvloop": "bench.backends.uvloop:Uvloop",
    "trio": "bench.backends.trio:Trio",
    "joblib": "bench.backends.joblib:Joblib",
    "dask": "bench.backends.dask:Dask",
    "interpreters": "bench.backends.interpreters:Interpreters",
}


def unavailable(name: str) -> str | None:
    """Why backend ``name`` cannot run here (this Python, or a module it ``requires`` missing), or None.

    Reads the class's declaration without importing the model's library: a model
    module imports its library inside the methods that use it.
    """
    cls = load(name)
    reason = cls.not_here()
    if reason:
        return reason
    missing = [module for module in cls.requires if not _importable(module)]
    if not missing:
        return None
    verb = "is" if len(missing) == 1 else "are"
    return f"{', '.join(missing)} {verb} not installed on this machine (pip install {' '.join(missing)})"


def _importable(module: str) -> bool:
    """Whether ``module`` (dotted names too) can be found, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return False


def load(name: str) -> type[Backend]:
    """Import and return the class of backend ``name``."""
    module_name, _, class_name = BACKENDS[name].partition(":")
    cls: type[Backend] = getattr(importlib.import_module(module_name), class_name)
    return cls


__all__ = ["BACKENDS", "WAITS", "Backend", "Task", "Traits", "load", "unavailable"]
