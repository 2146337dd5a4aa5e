"""One model's pytest session, in a fresh interpreter of its own.

``python -m bench.session --session FILE [pytest options...]``: FILE is the session
description the runner wrote (:mod:`bench.description`), which names the model,
the profile, the selection and everything else; the pytest plugin
(:mod:`bench.plugin`, loaded with ``-p``) reads it too. A model's ``prelude``
(gevent's monkey-patching, ``bench.gevent_patch``) runs here, and it runs first,
before pytest, the harness or any module it patches is imported; every other
model's interpreter never imports gevent at all.
"""

import sys


def _option(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _prelude(argv: list[str]) -> str | None:
    """The prelude the ``--session`` file names, read with ``json`` alone: nothing it must precede is imported."""
    import json

    path = _option(argv, "--session")
    try:
        with open(path or "") as file:
            prelude = json.load(file).get("prelude")
    except (OSError, ValueError, AttributeError):
        return None
    return prelude if isinstance(prelude, str) else None


if __name__ == "__main__" and (_first := _prelude(sys.argv)):
    from bench.prelude import run_prelude

    run_prelude(_first)


#: After its runner is gone, how long a session may take to save before it is killed.
ORPHAN_GRACE_S = 3.0


def _end_group_when_orphaned(runner_pid: int) -> None:
    """Watch the runner; once it is gone, stop this session and everything it started.

    The session leads its own process group (the runner starts it so). When the
    runner dies, even by SIGKILL, the group gets SIGINT (pytest then saves what was
    measured, children stop) and, :data:`ORPHAN_GRACE_S` later, SIGKILL.
    """
    import os
    import signal

    from bench.parent_watch import real_sleep, watch_in_thread

    def stop_group() -> None:
        # Only a group this session leads is ended; otherwise this process alone.
        group = os.getpgrp()
        if group == os.getpid():
            os.killpg(group, signal.SIGINT)
            real_sleep(ORPHAN_GRACE_S)
            os.killpg(group, signal.SIGKILL)
        else:
            os.kill(os.getpid(), signal.SIGINT)
            real_sleep(ORPHAN_GRACE_S)
            os.kill(os.getpid(), signal.SIGKILL)

    watch_in_thread(runner_pid, stop_group)


def _end_group_now() -> None:
    """End this session's process group (children included), this process last."""
    import os
    import signal

    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    """Run pytest on the benchmark modules the ``--session`` file selects; return its exit code.

    ``argv`` holds ``--session FILE`` and pytest's own options. With a runner pid in
    the description, the session ends itself and its process group once that
    process is gone.
    """
    import os
    from pathlib import Path

    import pytest

    from bench import description
    from bench.models._limits import raise_open_files_limit

    path = _option(argv, "--session")
    if path is None:
        print("error: --session FILE is required (a session description written by python -m bench)")
        return 2
    try:
        session = description.load(Path(path))
    except ValueError as exc:
        print(f"error: --session: {exc}")
        return 2
    if session.runner_pid is not None:
        _end_group_when_orphaned(session.runner_pid)
    # Thousands of sockets or child processes need more than the usual 1024 descriptors.
    raise_open_files_limit()
    from bench.micro import MICROS
    from workloads import WORKLOADS
    from workloads.user_spec import is_spec

    here = os.path.dirname(os.path.abspath(__file__))
    selected = list(session.selection)
    modules = []
    if set(selected) & set(WORKLOADS) or any(is_spec(name) for name in selected):
        modules.append(os.path.join(here, "bench_workloads.py"))
    if set(selected) & set(MICROS):
        modules.append(os.path.join(here, "bench_micro.py"))
    if not modules:
        print(f"error: nothing to run in the selection {selected}; valid: {', '.join([*WORKLOADS, *MICROS])}")
        return 2
    timeout = ["--timeout", str(session.case_timeout_s)] if session.case_timeout_s else []
    try:
        code = int(pytest.main([*modules, "-p", "bench.plugin", "-p", "no:cacheprovider", *timeout, *argv]))
    finally:
        from bench.parent_watch import parent_gone

        if session.runner_pid is not None and parent_gone(session.runner_pid):
            # Saved what it could; nobody waits for the rest: leave nothing behind.
            _end_group_now()
    from bench.case_guard import RECYCLE_EXIT

    if code == RECYCLE_EXIT:
        # A thread it could not stop would hold the interpreter's exit open for ever;
        # everything is saved, and the runner ends what is left of the group.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
