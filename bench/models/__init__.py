"""Models: HOW tasks are run, one module (or package) per concurrency model, one registry.

The registry maps each key (also its pytest id and chart label) to where its class
lives (always ``bench.models.<key>``, a module or a package), and imports it only
when asked: gevent and uvloop must not be imported into another model's interpreter.
A module named after its model's library is safe: every import is absolute, so
``import asyncio`` inside :mod:`bench.models.asyncio` is the standard library's.
"""

from __future__ import annotations

import importlib
import importlib.util

from bench.models._base import WAITS, Model, Task, Traits

MODELS: dict[str, str] = {
    "sequential": "bench.models.sequential:Sequential",
    "threads": "bench.models.threads:Threads",
    "thread_pool": "bench.models.thread_pool:ThreadPool",
    "processes": "bench.models.processes:Processes",
    "process_pool": "bench.models.process_pool:ProcessPool",
    "generators": "bench.models.generators:Generators",
    "greenlet": "bench.models.greenlet:Greenlet",
    "gevent": "bench.models.gevent:Gevent",
    "asyncio": "bench.models.asyncio:Asyncio",
    "uvloop": "bench.models.uvloop:Uvloop",
    "trio": "bench.models.trio:Trio",
    "joblib": "bench.models.joblib:Joblib",
    "dask": "bench.models.dask:Dask",
    "interpreters": "bench.models.interpreters:Interpreters",
}


def unavailable(name: str) -> str | None:
    """Why model ``name`` cannot run here (this Python, or a module it ``requires`` missing), or None.

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


def load(name: str) -> type[Model]:
    """Import and return the class of model ``name``."""
    module_name, _, class_name = MODELS[name].partition(":")
    cls: type[Model] = getattr(importlib.import_module(module_name), class_name)
    return cls


__all__ = ["MODELS", "WAITS", "Model", "Task", "Traits", "load", "unavailable"]
