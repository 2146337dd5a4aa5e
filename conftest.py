"""The project's root conftest: kept thin on purpose.

The benchmark sessions' pytest plugin (cases, fixtures, pytest-benchmark hooks) is
:mod:`bench.plugin`, which ``python -m bench.session`` loads with ``-p bench.plugin``;
the project's own tests under ``tests/`` need nothing from here.
"""
