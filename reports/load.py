"""Read a run directory into one tidy pandas DataFrame, one row per benchmark.

A run directory (`results/<machine-id>/<run-id>/`) holds one pytest-benchmark JSON per
model session and a `run.json` manifest. `load_run` reads them all and returns a
`RunData`: the tidy frame, the machine it ran on and the manifest. Everything the
reports draw or write is computed from that frame, never from the JSON again.

The frame's columns, in order:

- identity: `run_id, machine_id, model, variant, label, kind, workload, micro, case,
  n_tasks, profile`, then one column per case parameter (see `param_columns`), then
  `config` (the parameters every row of the case has, as text) and `series` (the label
  a chart uses: `label`, plus any per-model parameter that tells two rows apart);
- measurements (seconds unless named otherwise): `ideal_s, median, q1, q3, iqr, mean,
  min, max, stddev, rounds, ops_per_round, per_op_s, times_ideal, bytes_per_task`,
  then `ci_low, ci_high, processes, spread, unstable`. A case measured in several
  processes (one JSON file each) is one row: `median` is its figure, the geometric
  mean of the process medians (`bytes_per_task` likewise for memory), `ci_low` and
  `ci_high` its 95% interval (NaN with one process), `spread` the process-to-process
  standard deviation of log figures, `unstable` whether the processes disagree far
  beyond their rounds' noise (`reports.stats`); `q1` to `rounds` describe all the
  rounds together;
- the HTTP server and client of a case that fetches from the run's local server
  (`SERVER_COLUMNS`): `http_library`, `server_cpu_s` (the server's CPU per round,
  median), `server_busy_share` (that over the round's wall time, in cores),
  `server_bound`, `server_workers` and `server_cpu_reason` (why no CPU figure, for a
  server given by URL), and (3.1) the kernel's TCP counters over a round, the most of
  any: `tcp_accepted`, `listen_overflows`, `listen_drops`;
- the readings a workload declares in the run's manifest (its `workloads` section),
  and (format 3) the keys a benchmark lists in its `extra_info["measured"]`, other than
  those above: `reading_<key>` each, a measurement, never a parameter;
- context: the machine columns of `MACHINE_COLUMNS` (`packages`: the versions of the
  models' libraries, as text), the model columns of `reports.models.MODEL_COLUMNS` (the
  row's model's declared place, colour and whether it is the baseline), `name` (the pytest id), `source`
  (the JSON files), `samples` (the raw per-round times, a list of floats),
  `process_medians` and `process_samples` (the rounds of each process).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from bench.canary import CANARY_KEY
from bench.layout import RunLayout, runner_gone
from bench.results_format import FORMAT_KEY, MEASURED_KEY, MEASURED_SINCE, READABLE_MAJORS, major
from reports.errors import ResultFileError, RunDirError
from reports.fold_processes import POOLED_COLUMNS, PROCESS_COLUMNS, SPEED_COLUMNS, merge_processes, speed_adjust
from reports.models import MODEL_COLUMNS, Model, declared_models
from reports.speed import SpeedFit
from reports.validate import check_manifest, known_names, statistics_problem

ID_COLUMNS: Sequence[str] = (
    "run_id",
    "machine_id",
    "backend",
    "variant",
    "label",
    "kind",
    "workload",
    "micro",
    "case",
    "n_tasks",
    "profile",
)
DERIVED_ID_COLUMNS: Sequence[str] = ("config", "series")
#: What a memory row gives beside `bytes_per_task`, from its `extra_info["memory"]`:
#: the spread of its fresh-process holds, tracemalloc's figure ("Python objects"),
#: the children's PSS, and what the figure counts.
MEMORY_COLUMNS: Sequence[str] = (
    "bytes_per_task_low",
    "bytes_per_task_high",
    "python_objects_per_task",
    "pss_per_task",
    "bytes_counted",
)
STAT_COLUMNS: Sequence[str] = ("median", "q1", "q3", "iqr", "mean", "min", "max", "stddev", "rounds")
MEASURE_COLUMNS: Sequence[str] = (
    "ideal_s",
    *STAT_COLUMNS,
    "ops_per_round",
    "per_op_s",
    "times_ideal",
    "bytes_per_task",
    *MEMORY_COLUMNS,
    *POOLED_COLUMNS,
    *SPEED_COLUMNS,
)
SERVER_COLUMNS: Sequence[str] = (
    "http_library",
    "server_cpu_s",
    "server_busy_share",
    "server_bound",
    "server_workers",
    "server_cpu_reason",
    "tcp_accepted",
    "listen_overflows",
    "listen_drops",
)
MACHINE_COLUMNS: Sequence[str] = (
    "cpu_model",
    "cpu_count",
    "memory_bytes",
    "os",
    "python_build",
    "python_version",
    "packages",
    "gil_enabled",
    "default_start_method",
)
TAIL_COLUMNS: Sequence[str] = ("name", "source", "samples", "canaries", *PROCESS_COLUMNS)
#: Columns `reports.compare` adds when it stacks several runs' frames.
COMPARE_COLUMNS: Sequence[str] = ("run", "run_order", "fingerprint", "params", "case_key")
FIXED_COLUMNS: frozenset[str] = frozenset(
    (
        *ID_COLUMNS,
        *DERIVED_ID_COLUMNS,
        *MEASURE_COLUMNS,
        *SERVER_COLUMNS,
        *MACHINE_COLUMNS,
        *MODEL_COLUMNS,
        *TAIL_COLUMNS,
        *COMPARE_COLUMNS,
    )
)

# extra_info keys with a fixed meaning; every other scalar key is a measurement (`_measurements`)
# or a case parameter.
_RESERVED_EXTRA = frozenset(
    {
        "backend",
        "variant",
        "profile",
        "n_tasks",
        "ideal_s",
        "workload",
        "micro",
        "ops_per_round",
        "bytes_per_task",
        "memory",
        CANARY_KEY,
    }
    | set(SERVER_COLUMNS)
)
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: The column of a declared reading that is not one of the fixed columns: `reading_<key>`.
READING_PREFIX = "reading_"
#: Case parameters that always belong in a row's series name: what the figure goes
#: through (`mechanism`), where its threads or processes ran (`placement`), and
#: which pool size it used (`pool`).
SERIES_PARAMS: tuple[str, ...] = ("mechanism", "placement", "pool")


@dataclass(frozen=True)
class RunData:
    """One run directory, read: the tidy frame plus what describes the run as a whole."""

    path: Path
    run_id: str
    machine_id: str
    frame: pd.DataFrame
    machine: dict[str, Any]
    manifest: dict[str, Any] | None
    files: tuple[str, ...]
    ignored: tuple[str, ...]
    #: Benchmarks naming a model or workload the run did not record: not in `frame`.
    unknown: tuple[str, ...] = ()
    #: The run's models in chart order, as its manifest declares them (`reports.models`).
    models: Mapping[str, Model] | None = None
    #: How each family's times follow the machine's speed (`reports.speed`), by workload or micro-cost.
    speed_fits: Mapping[str, SpeedFit] | None = None


def param_columns(frame: pd.DataFrame) -> list[str]:
    """Return the parameter columns of a tidy frame (every column not fixed above, nor a declared reading)."""
    return [column for column in frame.columns if column not in FIXED_COLUMNS and not is_reading(column)]


def is_reading(column: str) -> bool:
    """Tell whether `column` holds a reading a workload declared (`reading_<key>`)."""
    return column.startswith(READING_PREFIX)


def reading_column(key: str) -> str:
    """The frame's column of the declared reading `key`: its own where the format fixes it, else `reading_<key>`."""
    return key if key in _RESERVED_EXTRA else READING_PREFIX + key


def declared_workloads(manifest: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]] | None:
    """The manifest's `workloads` section (what each workload declares for its report), or None.

    None: the run predates the declarations (or has no manifest).
    """
    section = (manifest or {}).get("workloads")
    if not isinstance(section, Mapping):
        return None
    return {str(name): spec for name, spec in section.items() if isinstance(spec, Mapping)}


def declared_readings(manifest: Mapping[str, Any] | None) -> dict[str, frozenset[str]]:
    """The keys of the readings each workload of the run declares, by workload."""
    found: dict[str, frozenset[str]] = {}
    for name, spec in (declared_workloads(manifest) or {}).items():
        declared = spec.get("readings")
        readings = declared if isinstance(declared, list) else []
        found[name] = frozenset(
            str(r["key"]) for r in readings if isinstance(r, Mapping) and isinstance(r.get("key"), str)
        )
    return found


def own_bases(manifest: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The base URLs of the servers the run started itself, as its manifest's `environment` records them."""
    facts = (manifest or {}).get("environment")
    if not isinstance(facts, Mapping):
        return ()
    return tuple(
        value.rstrip("/")
        for fact in facts.values()
        if isinstance(fact, Mapping)
        for value in fact.values()
        if isinstance(value, str) and urlsplit(value).scheme in ("http", "https")
    )


def fmt_param(value: object) -> str:
    """Format one parameter value for a label: `0.01`, `4096`, `pipe`."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
    return str(value)


def is_own_server(url: str, bases: Sequence[str] = ()) -> bool:
    """Tell whether `url` is served by a server the run started itself.

    Such a URL is one of the run's `bases` (its environment's base URLs) plus a path
    built from the case's parameters; recorded without its port (which changes every
    run), it is a loopback URL with no port. A user's server keeps its port, so two
    servers on one host stay two cases.
    """
    if any(url == base or url.startswith(base + "/") for base in bases):
        return True
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return False
    return parts.hostname in _LOOPBACK_HOSTS and port is None and bool(parts.path.strip("/"))


def _in_label(param: str, value: object) -> bool:
    """Whether a shared parameter belongs in the case's label.

    A URL of the run's own server only repeats the case's other parameters.
    """
    return not (param.endswith("url") and isinstance(value, str) and is_own_server(value))


def machine_summary(info: Mapping[str, Any]) -> dict[str, Any]:
    """Reduce pytest-benchmark's `machine_info` to the fields the reports show.

    Our own keys (`cpu_model`, `cpu_count`, `os`, ...) win; the standard keys fill in
    for files written without them.
    """
    cpu = info.get("cpu") if isinstance(info.get("cpu"), Mapping) else {}
    assert isinstance(cpu, Mapping)
    build = info.get("python_build")
    if isinstance(build, list):
        build = "{} {} ({}) {}".format(
            info.get("python_implementation", "Python"),
            info.get("python_version", "?"),
            ", ".join(str(part) for part in build),
            info.get("python_compiler", ""),
        ).strip()
    system_parts = [str(info[key]) for key in ("system", "release", "machine") if info.get(key)]
    return {
        "cpu_model": info.get("cpu_model") or cpu.get("brand_raw") or info.get("processor") or "unknown CPU",
        "cpu_count": info.get("cpu_count") or cpu.get("count"),
        "memory_bytes": info.get("memory_bytes"),
        "os": info.get("os") or "-".join(system_parts) or None,
        "python_build": build,
        "python_version": info.get("python_version"),
        "packages": packages_text(info),
        "gil_enabled": info.get("gil_enabled"),
        "default_start_method": info.get("default_start_method"),
    }


def packages_text(info: Mapping[str, Any]) -> str | None:
    """The versions of the models' libraries in `machine_info`, as text: `gevent 24.2, greenlet 3.0`.

    From its `packages` mapping (format 2.1), else from its `<package>_version` keys
    (older files), leaving out the Python and pytest versions. None when it names none.
    """
    recorded = info.get("packages")
    if isinstance(recorded, Mapping):
        versions = {str(k): v for k, v in recorded.items()}
    else:
        versions = {
            key.removesuffix("_version"): value
            for key, value in info.items()
            if key.endswith("_version") and not key.startswith(("python", "pytest"))
        }
    named = [f"{name} {version}" for name, version in sorted(versions.items()) if isinstance(version, str) and version]
    return ", ".join(named) or None


def read_json(path: Path) -> Any:
    """Parse one JSON file, raising `ResultFileError` naming it if it is unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResultFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ResultFileError(
            path,
            f"is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}), so not a results file; "
            "run that model again or move the file out of the run",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultFileError(
            path,
            f"is not valid JSON (truncated or corrupt: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}); run that model again or move the file out of the run",
        ) from exc
    except RecursionError:
        # No results file nests more than a few levels; this one is not one.
        raise ResultFileError(
            path, "nests too deeply to be a results file; run that model again or move the file out of the run"
        ) from None
    if isinstance(data, dict):
        version = data.get(FORMAT_KEY)
        if major(version) not in READABLE_MAJORS:
            raise ResultFileError(
                path,
                f"is in results format {version!r}, which this concurrency-bench does not read (it reads major "
                f"versions {', '.join(map(str, READABLE_MAJORS))}; see docs/results-format.md): "
                "update concurrency-bench to read it",
            )
    return data


def load_manifest(run_dir: Path) -> dict[str, Any] | None:
    """Return the run's `run.json` as a dict, or None if the run has none."""
    path = RunLayout(run_dir).manifest
    if not path.exists():
        return None
    data = read_json(path)
    if not isinstance(data, dict):
        raise ResultFileError(path, "is not a run manifest (expected a JSON object)")
    check_manifest(path, data)
    return as_found(data)


def as_found(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest as the run stands now: "running" reads "aborted" once its runner is gone.

    A runner killed outright (SIGKILL) cannot finish its manifest; `bench.layout`
    marks such runs on disk when the next run starts, and a report read before that
    says the same. The file itself is not changed here.
    """
    if manifest.get("status") != "running" or not runner_gone(manifest.get("runner")):
        return manifest
    runner = manifest["runner"]
    return {
        **manifest,
        "status": "aborted",
        "error": manifest.get("error")
        or f"the runner (pid {runner.get('pid')} on {runner.get('host')}) ended without finishing the run",
    }


def benchmark_files(run_dir: Path) -> list[Path]:
    """Return the run's benchmark JSON files (every `*.json` but the manifest and calibration)."""
    return RunLayout(run_dir).benchmark_files()


def load_run(run_dir: Path | str) -> RunData:
    """Read the run directory `run_dir` into a `RunData`.

    Raises `RunDirError` if the directory is missing, is not a directory or holds no
    benchmark JSON, and `ResultFileError` naming the file if a JSON file is malformed.
    Benchmarks that lack `workload`/`micro` or `stats`, or whose figures are not
    measurements (`reports.validate.statistics_problem`), are left out and listed in
    `RunData.ignored`, so one odd case does not hide the rest; those naming a model or
    workload the run did not record are left out and listed in `RunData.unknown`.
    """
    path = Path(run_dir)
    if not path.exists():
        raise RunDirError(path, "no such run directory; give a directory such as results/<machine-id>/<run-id>")
    if not path.is_dir():
        raise RunDirError(path, "is not a directory; give a run directory such as results/<machine-id>/<run-id>")
    manifest = load_manifest(path)
    files = benchmark_files(path)
    if not files:
        raise RunDirError(path, f"holds no benchmark JSON{_manifest_hint(manifest)}")

    run_id = str(manifest["run_id"]) if manifest and manifest.get("run_id") else path.name
    rows: list[dict[str, Any]] = []
    ignored: list[str] = []
    unknown: list[str] = []
    machine: dict[str, Any] | None = None
    machine_id: str | None = None
    parsed = [(file, read_json(file)) for file in files]
    for file, data in parsed:
        if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
            raise ResultFileError(file, "is not a pytest-benchmark JSON (no 'benchmarks' list)")
    sessions = [
        str(data["session"]["backend"])
        for _, data in parsed
        if isinstance(data.get("session"), dict) and data["session"].get("backend")
    ]
    known = known_names(manifest, sessions)
    readings = declared_readings(manifest)
    bases = own_bases(manifest)
    for file, data in parsed:
        info = data.get("machine_info") if isinstance(data.get("machine_info"), dict) else {}
        assert isinstance(info, dict)
        summary = machine_summary(info)
        file_machine_id = info.get("machine_id") or (manifest or {}).get("machine_id") or path.parent.name
        if machine is None:
            machine, machine_id = summary, str(file_machine_id)
        process = _process_index(data, file)
        version = major(data.get(FORMAT_KEY)) or 1
        for bench in data["benchmarks"]:
            row, problem = _row(bench, file.name, readings, bases, version)
            if row is None:
                ignored.append(f"{file.name}: {problem}")
                continue
            name_problem = known.problem(row["backend"], row["case"])
            if name_problem:
                unknown.append(f"{file.name}: {row['name']}: {name_problem}")
                continue
            row.update(run_id=run_id, machine_id=str(file_machine_id), source=file.name, process=process, **summary)
            rows.append(row)
    if not rows:
        left_out = "; ".join([*ignored, *unknown][:3])
        raise RunDirError(
            path, "holds benchmark JSON but no usable benchmark in it" + (f" ({left_out})" if left_out else "")
        )
    rows = merge_processes(rows)
    speed_fits = speed_adjust(rows, calibration_canaries(path))
    models = declared_models(manifest, (str(row["backend"]) for row in rows))
    for row in rows:
        row.update(models[str(row["backend"])].columns())
    assert machine is not None and machine_id is not None
    frame, duplicates = _dedupe(add_case_columns(tidy_frame(rows)))
    ignored.extend(duplicates)
    return RunData(
        path=path,
        run_id=run_id,
        machine_id=machine_id,
        frame=frame,
        machine={"machine_id": machine_id, **machine},
        manifest=manifest,
        files=tuple(f.name for f in files),
        ignored=tuple(ignored),
        unknown=tuple(unknown),
        models=models,
        speed_fits=speed_fits,
    )


def calibration_canaries(run_dir: Path) -> dict[str, float]:
    """The canary read while each workload's ideal was calibrated (`calibration.json`), by workload.

    Empty for a run without one (older runs, a calibration file that is not JSON).
    """
    try:
        data = json.loads(RunLayout(run_dir).calibration.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = data.get("canary_s") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return {}
    return {str(k): float(v) for k, v in found.items() if isinstance(v, (int, float)) and v > 0}


def _process_index(data: Mapping[str, Any], file: Path) -> int:
    """Which of its model's processes wrote ``file``: the session's record, else the name's suffix."""
    session = data.get("session")
    if isinstance(session, Mapping) and isinstance(session.get("process"), int):
        return int(session["process"])
    suffix = Path(file.stem).suffix.lstrip(".")
    return int(suffix) if suffix.isdigit() else 0


def _manifest_hint(manifest: Mapping[str, Any] | None) -> str:
    """Say what run.json reports about the models, for a run without results."""
    if not manifest or not isinstance(manifest.get("backends"), Mapping):
        return " (and no run.json says why); run `python -m bench` to make one"
    parts = [
        f"{name}: {entry.get('status', '?')}" + (f" ({entry['error']})" if entry.get("error") else "")
        for name, entry in manifest["backends"].items()
        if isinstance(entry, Mapping)
    ]
    return "; run.json lists " + ("; ".join(parts) if parts else "no model")


def _normalise_param(key: str, value: Any, bases: Sequence[str]) -> Any:
    """Drop the port from the URLs of the run's own server: it changes every run.

    Any other URL keeps its port, so two servers on one host stay two cases.
    """
    if isinstance(value, str) and key.endswith("url") and is_own_server(value, bases):
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError:  # not a port number: leave the URL as recorded
            return value
        if parts.hostname is not None and port is not None:
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return value


def _number(value: Any) -> float:
    """Return `value` as a float, NaN when it is missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


def _row(
    bench: Any,
    file_name: str,
    readings: Mapping[str, frozenset[str]] | None = None,
    bases: Sequence[str] = (),
    version: int = MEASURED_SINCE,
) -> tuple[dict[str, Any] | None, str]:
    """Turn one benchmark entry into a row, or return (None, why it was left out).

    `readings` are the keys each workload declares as readings, `version` the major
    version of the file it comes from (`_measurements` tells its measurements from its
    parameters); `bases` the base URLs of the run's own servers.
    """
    if not isinstance(bench, dict):
        return None, "a benchmark entry is not an object"
    name = str(bench.get("name") or bench.get("fullname") or "?")
    extra = bench.get("extra_info") if isinstance(bench.get("extra_info"), dict) else {}
    stats = bench.get("stats")
    assert isinstance(extra, dict)
    if not isinstance(stats, dict) or not isinstance(stats.get("median"), (int, float)):
        return None, f"{name} has no stats"
    workload, micro = extra.get("workload"), extra.get("micro")
    if not workload and not micro:
        return None, f"{name} has neither 'workload' nor 'micro' in extra_info"
    problem = statistics_problem(stats, extra)
    if problem:
        return None, f"{name}: {problem}"
    model = str(extra.get("backend") or Path(file_name).stem)
    variant = extra.get("variant")
    variant = None if variant is None else str(variant)
    row: dict[str, Any] = {
        "backend": model,
        "variant": variant,
        "label": model if variant is None else f"{model}[{variant}]",
        "kind": "workload" if workload else "micro",
        "workload": str(workload) if workload else None,
        "micro": None if workload else str(micro),
        "case": str(workload or micro),
        "n_tasks": extra.get("n_tasks") if isinstance(extra.get("n_tasks"), int) else None,
        "profile": extra.get("profile"),
        "name": name,
    }
    declared = (readings or {}).get(str(workload), frozenset()) if workload else frozenset()
    measured = _measurements(extra, declared, version)
    for key, value in extra.items():
        if key in _RESERVED_EXTRA or not (value is None or isinstance(value, (str, int, float, bool))):
            continue
        if key in measured:
            row[reading_column(key)] = value
            continue
        column = f"param_{key}" if key in FIXED_COLUMNS or is_reading(key) else key
        row[column] = _normalise_param(key, value, bases)
    for key in STAT_COLUMNS:
        row[key] = _number(stats.get(key))
    ideal = _number(extra.get("ideal_s"))
    ops = _number(extra.get("ops_per_round"))
    row["ideal_s"] = ideal
    row["ops_per_round"] = ops
    row["per_op_s"] = row["median"] / ops if row["kind"] == "micro" and ops > 0 else math.nan
    row["times_ideal"] = row["median"] / ideal if ideal > 0 else math.nan
    row["bytes_per_task"] = _number(extra.get("bytes_per_task"))
    memory = extra.get("memory") if isinstance(extra.get("memory"), dict) else {}
    assert isinstance(memory, dict)
    row["bytes_per_task_low"] = _number(memory.get("low"))
    row["bytes_per_task_high"] = _number(memory.get("high"))
    row["python_objects_per_task"] = _number(memory.get("python_objects"))
    row["pss_per_task"] = _number(memory.get("pss"))
    row["bytes_counted"] = str(memory["counts"]) if isinstance(memory.get("counts"), str) else None
    for key in SERVER_COLUMNS:
        value = extra.get(key)
        row[key] = value if isinstance(value, (str, bool)) else _number(value) if value is not None else None
    data = stats.get("data")
    row["samples"] = [float(x) for x in data if isinstance(x, (int, float))] if isinstance(data, list) else []
    canaries = extra.get(CANARY_KEY)
    row["canaries"] = (
        [float(x) for x in canaries]
        if isinstance(canaries, list)
        and len(canaries) == len(row["samples"])
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in canaries)
        else []
    )
    return row, ""


def _measurements(extra: Mapping[str, Any], declared: frozenset[str], version: int) -> frozenset[str]:
    """The keys of one benchmark's `extra_info` that are measurements, never case parameters.

    `declared`: the readings its workload declares in the run's manifest. From format 3
    the benchmark also lists its measurements itself (`measured`), so a reading no
    workload declares is still one; a 1.x or 2.x file has only the declarations.
    """
    listed = extra.get(MEASURED_KEY) if version >= MEASURED_SINCE else None
    return declared | frozenset(str(key) for key in listed) if isinstance(listed, list) else declared


def tidy_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Build the frame from row dicts, with the columns in their documented order."""
    frame = pd.DataFrame(list(rows))
    params = sorted(c for c in frame.columns if c not in FIXED_COLUMNS and not is_reading(c))
    readings = sorted(c for c in frame.columns if is_reading(c))
    for column in (*ID_COLUMNS, *MEASURE_COLUMNS, *SERVER_COLUMNS, *MACHINE_COLUMNS, *MODEL_COLUMNS, *TAIL_COLUMNS):
        if column not in frame.columns:
            frame[column] = None
    frame["n_tasks"] = frame["n_tasks"].astype("Int64")
    order = [
        *ID_COLUMNS, *params, *MEASURE_COLUMNS, *SERVER_COLUMNS, *readings, *MACHINE_COLUMNS, *MODEL_COLUMNS,
        *TAIL_COLUMNS,
    ]  # fmt: skip
    return frame[order]


def add_case_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `config` and `series` to a tidy frame (or recompute them) and return it.

    Within one case, a parameter every row has (`sleep_s`, `channel`) describes the
    case's configuration: rows with different values are different charts. A parameter
    only some models have (`pool_size`, `start_method`) belongs to the model: if it
    tells apart two rows of the same label, configuration and n_tasks, it is appended
    to the series name, e.g. `thread_pool(pool_size=4)`. The parameters of
    `SERIES_PARAMS` (what a row's figure goes through and where it ran) always name
    the series, never the configuration.
    """
    frame = frame.copy()
    params = param_columns(frame)
    frame["config"] = ""
    frame["series"] = frame["label"]
    for _, rows in frame.groupby("case", sort=False):
        shared = [p for p in params if rows[p].notna().all() and p not in SERIES_PARAMS]
        per_model = [p for p in params if p not in shared and rows[p].notna().any()]
        frame.loc[rows.index, "config"] = [
            ", ".join(f"{p}={fmt_param(value)}" for p, value in zip(shared, values, strict=True) if _in_label(p, value))
            # Built row by row: with no shared parameter, pandas < 3 yields no tuples at all.
            for values in (rows[shared].itertuples(index=False) if shared else [()] * len(rows))
        ]
        keyed = rows.assign(config=frame.loc[rows.index, "config"])
        groups = keyed.groupby(["label", "config", "n_tasks"], dropna=False)
        varying = [p for p in per_model if p in SERIES_PARAMS or bool((groups[p].nunique(dropna=False) > 1).any())]
        if varying:
            suffixes = [
                ", ".join(_series_part(p, v) for p, v in zip(varying, values, strict=True) if pd.notna(v))
                for values in rows[varying].itertuples(index=False)
            ]
            frame.loc[rows.index, "series"] = [
                f"{label}({text})" if text else label for label, text in zip(rows["label"], suffixes, strict=True)
            ]
    columns = list(frame.columns)
    for column in DERIVED_ID_COLUMNS:
        columns.remove(column)
    at = columns.index(params[-1]) + 1 if params else columns.index("profile") + 1
    return frame[columns[:at] + list(DERIVED_ID_COLUMNS) + columns[at:]]


def _series_part(param: str, value: object) -> str:
    """One parameter in a series name: `pool_size=4`; a mechanism or placement by its value alone."""
    return fmt_param(value) if param in ("mechanism", "placement") else f"{param}={fmt_param(value)}"


def _dedupe(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Keep the last of rows that measure the same thing; name the ones dropped."""
    key = ["case", "config", "series", "n_tasks"]
    dropped = frame[frame.duplicated(key, keep="last")]
    notes = [f"{r.source}: {r.name} duplicates a later benchmark of the same case" for r in dropped.itertuples()]
    return frame.drop(dropped.index).reset_index(drop=True), notes
