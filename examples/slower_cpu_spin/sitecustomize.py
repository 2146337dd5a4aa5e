"""A known slowdown, injected from outside the project, to check what a comparison catches.

With this directory on ``PYTHONPATH`` every interpreter of a run (sessions, pool
workers, children) imports it first, and it swaps ``workloads.cpu_spin.spin``'s code
for one that does about 20% more pure-Python arithmetic per step (1.18x-1.22x
measured on a 2-core VM) and returns the same sums, so every answer still checks:

    make bench RESULTS=results-a
    PYTHONPATH=$PWD/examples/slower_cpu_spin make bench RESULTS=results-b
    make compare RUNS="results-a results-b"

Every ``cpu_spin`` case should read slower and nothing else should move.
"""

import importlib.abc
import importlib.util
import sys


class _Slower(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "workloads.cpu_spin":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        original = spec.loader.exec_module

        def exec_module(module):
            original(module)

            def slower(i, params):
                lo, hi = _bounds(i, params["n_tasks"], params["work_units"])  # noqa: F821 (spin's globals)
                acc = 0
                for k in range(lo, hi):
                    acc += k * k
                    j = k  # noqa: F841
                    if k < 0:
                        acc = 0
                return acc

            module.spin.__code__ = slower.__code__

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _Slower())
