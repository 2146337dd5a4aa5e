"""Run a model's prelude: the ``module:function`` its interpreters call before anything else.

Imported first thing by a session and a memory hold, so it imports nothing but
:mod:`importlib` itself.
"""

import importlib


def run_prelude(spec: str) -> None:
    """Import ``module`` and call ``function()`` of ``spec`` (``module:function``)."""
    module_name, _, function_name = spec.partition(":")
    getattr(importlib.import_module(module_name), function_name)()
