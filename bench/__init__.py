"""concurrency-bench: HOW tasks are run (models, the runner, benchmark modules).

Kept free of imports on purpose: gevent's interpreter imports this package before
gevent monkey-patches the standard library, so nothing here may import a module it patches.
"""
