"""concurrency-bench: HOW tasks are run (backends, the runner, benchmark modules).

Kept free of imports on purpose: gevent's interpreter imports this package before
``monkey.patch_all()`` runs, so nothing here may import a module gevent patches.
"""
