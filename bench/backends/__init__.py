"""Backends: HOW tasks are run, one module per concurrency model, one registry.

The registry maps each key (also its pytest id and chart label) to where its class
lives, and imports it only when asked: gevent and uvloop must not be imported into
another model's interpreter.
"""

from __future__ import annotations

import importlib
import importlib.util

from bench.backends._base import Backend, Task

BACKENDS: dict[str, str] = {
    "sequential": "bench.backends.sequential:Sequential",
    "threads": "bench.backends.threads:Threads",
    "thread_pool": "bench.backends.thread_pool:ThreadPool",
    "processes": "bench.backends.processes:Processes",
    "process_pool": "bench.backends.process_pool:ProcessPool",
    "generators": "bench.backends.generators:Generators",
    "greenlet": "bench.backends.greenlet_hub:Greenlet",
    "gevent": "bench.backends.gevent_pool:Gevent",
    "asyncio": "bench.backends.event_loop:Asyncio",
    "uvloop": "bench.backends.event_loop:Uvloop",
}

#: Modules a backend needs beyond the core dependencies, checked before import.
OPTIONAL_MODULES: dict[str, str] = {"uvloop": "uvloop"}


def unavailable(name: str) -> str | None:
    """Why backend ``name`` cannot run here (a module missing), or None."""
    module = OPTIONAL_MODULES.get(name)
    if module and importlib.util.find_spec(module) is None:
        return f"{module} is not installed on this machine (pip install {module})"
    return None


def load(name: str) -> type[Backend]:
    """Import and return the class of backend ``name``."""
    module_name, _, class_name = BACKENDS[name].partition(":")
    cls: type[Backend] = getattr(importlib.import_module(module_name), class_name)
    return cls


__all__ = ["BACKENDS", "Backend", "Task", "load", "unavailable"]
