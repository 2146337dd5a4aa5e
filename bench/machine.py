"""What machine a figure was measured on: facts, and a stable machine id.

Versions are read from package metadata, never by importing: gevent must not be
imported into another model's interpreter just to report its version.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import platform
import re
import sys
import sysconfig
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo where there is one."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def cpu_count() -> int:
    """The cores this process may run on (its affinity, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def version_of(package: str) -> str | None:
    """The installed version of ``package``, or None when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def model_packages() -> dict[str, str]:
    """The installed versions of the distributions every registered model declares (``packages``).

    Reads each model's class (a model module imports its optional library only where
    it runs) and each version from package metadata; a distribution that is not
    installed is left out.
    """
    from bench.models import MODELS, load

    names = sorted({package for model in MODELS for package in load(model).packages})
    return {name: version for name in names if (version := version_of(name)) is not None}


def gil_enabled() -> bool:
    """Whether this interpreter runs with the GIL now (False on a free-threaded build running without it).

    A free-threaded build turns the GIL back on when ``PYTHON_GIL=1`` or when it
    imports an extension module not marked safe without it, so read this after the
    imports that matter (the session's, at its end), not at start-up.
    """
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return bool(is_enabled()) if is_enabled is not None else True


def free_threaded() -> bool:
    """Whether this Python was built free-threaded (``Py_GIL_DISABLED``, the ``3.13t`` builds)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def jit_built() -> bool:
    """Whether this Python was built with the experimental JIT compiler (3.13+)."""
    jit = getattr(sys, "_jit", None)
    if jit is not None:
        return bool(jit.is_available())
    return "--enable-experimental-jit" in str(sysconfig.get_config_var("CONFIG_ARGS") or "")


def jit_enabled() -> bool | None:
    """Whether the JIT runs in this process: None where it is built in but Python cannot say."""
    jit = getattr(sys, "_jit", None)
    if jit is not None:
        return bool(jit.is_enabled())
    return None if jit_built() else False


def interpreter_name(implementation: str, version: str, free_threaded: bool | None = None) -> str:
    """A short name for an interpreter, as labels show it: ``CPython 3.13.0 free-threaded``."""
    return f"{implementation} {version}" + (" free-threaded" if free_threaded else "")


def interpreter_facts() -> dict[str, Any]:
    """Which Python this process is: implementation, version, build flags and GIL state."""
    return {
        "python_implementation": platform.python_implementation(),
        "python_version": platform.python_version(),
        "python_executable": sys.executable,
        "python_name": interpreter_name(platform.python_implementation(), platform.python_version(), free_threaded()),
        "free_threaded": free_threaded(),
        "gil_enabled": gil_enabled(),
        "jit_built": jit_built(),
        "jit_enabled": jit_enabled(),
    }


def _os_name() -> str:
    return f"{platform.system()}-{platform.release()}-{platform.machine()}"


def _python_build() -> str:
    build, date = platform.python_build()
    implementation = interpreter_name(platform.python_implementation(), platform.python_version(), free_threaded())
    return f"{implementation} ({build}, {date}) {platform.python_compiler()}"


def machine_id() -> str:
    """A stable name for this machine: CPU, cores and a hash of what identifies it.

    The hash covers the CPU model, cores, memory, OS kind, architecture and the
    host's machine-id where there is one, and nothing volatile (frequency, load,
    kernel release), so it stays the same
    across runs and differs between machines.
    """
    host_id = ""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        if Path(path).exists():
            host_id = Path(path).read_text().strip()
            break
    model = cpu_model()
    memory = str(psutil.virtual_memory().total)
    key = "|".join([model, str(cpu_count()), memory, platform.system(), platform.machine(), host_id])
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")[:32] or "cpu"
    return f"{slug}-{cpu_count()}c-{hashlib.sha256(key.encode()).hexdigest()[:6]}"


def machine_facts() -> dict[str, Any]:
    """Everything a figure needs to say where it was measured."""
    # The interpreter's state (the GIL on a free-threaded build) is read before the
    # models' classes are imported to list their packages: importing an extension
    # module can turn the GIL back on.
    interpreter = interpreter_facts()
    return {
        "machine_id": machine_id(),
        "cpu_model": cpu_model(),
        "cpu_count": cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "os": _os_name(),
        "python_build": _python_build(),
        "gevent_version": version_of("gevent"),
        "greenlet_version": version_of("greenlet"),
        "uvloop_version": version_of("uvloop"),
        "packages": model_packages(),
        "pytest_benchmark_version": version_of("pytest-benchmark"),
        **interpreter,
        "default_start_method": multiprocessing.get_start_method(allow_none=False),
    }
