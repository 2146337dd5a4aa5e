"""One backend's pytest session, in a fresh interpreter of its own.

``python -m bench.session --backend NAME [pytest options...]``. For gevent this is
the one place where ``monkey.patch_all()`` runs, and it runs first, before pytest,
the harness or any module gevent patches is imported; every other backend's
interpreter never imports gevent at all.
"""

import sys


def _option(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


if __name__ == "__main__" and _option(sys.argv, "--backend") == "gevent":
    from gevent import monkey

    monkey.patch_all()


def main(argv: list[str]) -> int:
    """Run pytest on the benchmark modules with ``argv``; return its exit code."""
    import os

    import pytest

    from bench.backends._limits import raise_open_files_limit

    # Thousands of sockets or child processes need more than the usual 1024 descriptors.
    raise_open_files_limit()
    from bench.micro import MICROS
    from workloads import WORKLOADS

    here = os.path.dirname(os.path.abspath(__file__))
    selected = (_option(argv, "--workloads") or ",".join([*WORKLOADS, *MICROS])).split(",")
    modules = []
    if set(selected) & set(WORKLOADS):
        modules.append(os.path.join(here, "bench_workloads.py"))
    if set(selected) & set(MICROS):
        modules.append(os.path.join(here, "bench_micro.py"))
    if not modules:
        print(f"error: nothing to run in --workloads {selected}; valid: {', '.join([*WORKLOADS, *MICROS])}")
        return 2
    return int(pytest.main([*modules, "-p", "no:cacheprovider", *argv]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
