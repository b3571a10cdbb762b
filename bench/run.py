"""Run the benchmarks; print a table; write docs/benchmarks.{md,json,meta.json}.

    python -m bench.run                      # everything (what `make bench` runs)
    python -m bench.run --only seed_demo     # a subset (repeat --only, or separate with commas)
    python -m bench.run --list               # the modules found

A benchmark module is any ``bench/*.py`` (but this file) or ``engines/*/bench.py`` defining
``run() -> dict[str, float]`` (metric name → number). It may also define, as literals:

    DATABASE = "sqlite"           # or "postgresql", or "none" (engines default to "none")
    TARGETS = {"metric": (60, "<")}          # the limit the metric must keep (< <= > >=)
    ANCHORS = {"metric": "anchor_metric"}    # the table shows metric / anchor (same run)
    NOTES = {"metric": "what it measures"}

Each module runs in its own process (``python -m bench.run --module …``) against a fresh
database, migrated before ``run()``: a temporary SQLite file, or a PostgreSQL database
``flexserve_bench_<pid>`` created on ``$BENCH_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/postgres) and always dropped afterwards. When PostgreSQL is
unreachable its modules are reported as skipped. The child runs in the embedded mode with
background tasks in-process and synchronous, DEBUG off.

Provenance. docs/benchmarks.json stays a flat metric → number object for tools; beside it
docs/benchmarks.meta.json says which run produced each number::

    {"latest": "<run id>",
     "runs": {"<run id>": {"commit": sha | "unknown", "dirty": bool | null, "date": iso,
                           "machine": {...machine()...}, "modules": [names run],
                           "modules_seconds": {name: s}, "failed": {name: why},
                           "skipped": {name: why}, "complete": bool}},
     "metrics": {"<metric>": {"run": "<run id>", "module": "<name>"}}}

``dirty`` is whether ``git status --porcelain`` showed changes other than docs/benchmarks.*. A run
is complete when it ran every discovered module and none failed or was skipped. Each run merges
into the previous files (see ``merge``):

- a metric this run measured is *current*; every other kept metric is *stale* and keeps the
  run (commit, date, machine) that measured it. A failed or skipped module's figures stay stale.
- a stale metric is dropped when its module ran successfully now, did not produce it and does
  not declare it (TARGETS/ANCHORS/NOTES): the module measures something else now. It is also
  dropped when its module no longer exists, or, if its module is unknown (figures from before
  provenance was recorded, run "unknown"), when a complete run did not produce it.
- a target is judged (ok / MISSED) only for current metrics; stale rows say "stale".
- a ratio to an anchor is shown only when the metric and its anchor come from the same known run.
"""

import argparse
import ast
import contextlib
import datetime
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASES = ("sqlite", "postgresql", "none")
OPERATORS = {
    "<": lambda v, limit: v < limit,
    "<=": lambda v, limit: v <= limit,
    ">": lambda v, limit: v > limit,
    ">=": lambda v, limit: v >= limit,
}


class Skip(Exception):
    """The module cannot run here (its database is unreachable)."""


@dataclass
class Module:
    name: str  # what --only accepts: "seed_demo", "engines.routing"
    module: str  # importable name: "bench.seed_demo", "engines.routing.bench"
    path: Path
    database: str
    targets: dict[str, tuple[float, str]] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    module: Module
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: str = ""
    failed: str = ""


# --- Discovery ----------------------------------------------------------------------------------


def _literal(tree: ast.Module, name: str, default):
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value:
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                print(f"  note: {name} is not a literal; ignored")
    return default


def _inspect(path: Path, name: str, module: str, default_database: str) -> Module | None:
    """Read a module's declarations without importing it (Django is not set up here)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if not any(isinstance(n, ast.FunctionDef) and n.name == "run" for n in tree.body):
        return None
    database = _literal(tree, "DATABASE", default_database)
    if database not in DATABASES:
        raise SystemExit(f"{path}: DATABASE must be one of {DATABASES}, not {database!r}")
    return Module(
        name=name,
        module=module,
        path=path,
        database=database,
        targets={k: (float(v[0]), v[1]) for k, v in _literal(tree, "TARGETS", {}).items()},
        anchors=_literal(tree, "ANCHORS", {}),
        notes=_literal(tree, "NOTES", {}),
    )


def discover() -> list[Module]:
    """bench/*.py (but run.py and __init__.py), then engines/*/bench.py, each sorted by name."""
    found = []
    for path in sorted((ROOT / "bench").glob("*.py")):
        if path.name in {"run.py", "__init__.py"} or path.name.startswith("_"):
            continue
        found.append(_inspect(path, path.stem, f"bench.{path.stem}", "sqlite"))
    for path in sorted((ROOT / "engines").glob("*/bench.py")):
        engine = path.parent.name
        found.append(_inspect(path, f"engines.{engine}", f"engines.{engine}.bench", "none"))
    return [m for m in found if m is not None]


def _aliases(module: Module) -> set[str]:
    """Names --only accepts: "seed_demo", "bench.seed_demo"; "routing", "engines.routing"."""
    return {module.name, module.module, module.name.split(".")[-1]}


def select(modules: list[Module], only: list[str]) -> list[Module]:
    wanted = {name.strip() for item in only for name in item.split(",") if name.strip()}
    if not wanted:
        return modules
    chosen = [m for m in modules if wanted & _aliases(m)]
    known = {alias for m in chosen for alias in _aliases(m)}
    unknown = sorted(wanted - known)
    if unknown:
        names = ", ".join(m.name for m in modules)
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; known: {names}")
    return chosen


# --- Fresh databases ----------------------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="flexserve-bench-")
    try:
        yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _postgres_admin_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _connect_postgres():
    try:
        import psycopg
    except ImportError as exc:
        raise Skip(f"psycopg is not installed ({exc})") from None
    url = _postgres_admin_url()
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        where = urlsplit(url).hostname or "localhost"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Skip(f"PostgreSQL unreachable at {where}: {reason}") from None


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new database flexserve_bench_<pid>, dropped afterwards whatever happens."""
    from psycopg import sql

    name = f"flexserve_bench_{os.getpid()}"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    admin = _connect_postgres()
    with admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlunsplit(urlsplit(_postgres_admin_url())._replace(path=f"/{name}"))
        finally:
            admin.execute(drop)


def fresh_database(kind: str) -> contextlib.AbstractContextManager[str | None]:
    if kind == "sqlite":
        return sqlite_database()
    if kind == "postgresql":
        return postgres_database()
    return contextlib.nullcontext(None)


# --- Running ------------------------------------------------------------------------------------


def run_module(module: Module, timeout_s: float) -> Outcome:
    """Run one module in a subprocess on a fresh database; never raises for the module's faults."""
    outcome = Outcome(module)
    started = time.perf_counter()
    try:
        with fresh_database(module.database) as url, tempfile.TemporaryDirectory() as tmp:
            result = Path(tmp) / "result.json"
            env = os.environ.copy()
            env.update(
                FLEXSERVE_MODE="embedded",
                CELERY_BROKER_URL="",
                FLEXSERVE_INPROCESS_TASKS="sync",
                DJANGO_DEBUG="false",
                PYTHONUNBUFFERED="1",
            )
            if url:
                env["DATABASE_URL"] = url
            command = [sys.executable, "-m", "bench.run", "--module", module.module]
            command += ["--database", module.database, "--result", str(result)]
            try:
                completed = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout_s)
            except subprocess.TimeoutExpired:
                outcome.failed = f"timed out after {timeout_s:.0f} s"
            else:
                if completed.returncode != 0:
                    outcome.failed = f"exit code {completed.returncode}"
                else:
                    outcome.metrics = json.loads(result.read_text())["metrics"]
    except Skip as exc:
        outcome.skipped = str(exc)
    outcome.seconds = time.perf_counter() - started
    return outcome


def child(module_name: str, database: str, result_path: str) -> None:
    """Inside the subprocess: set Django up on the fresh database, migrate, run, save metrics."""
    import importlib

    if database != "none":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flexserve.settings")
        import django

        django.setup()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        print(f"  migrated a fresh {database} database in {time.perf_counter() - started:.1f} s")
    metrics = importlib.import_module(module_name).run()
    bad = {
        k: v
        for k, v in metrics.items()
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int | float)
    }
    if bad:
        raise TypeError(f"{module_name}.run() must return metric name → number, got {bad}")
    Path(result_path).write_text(json.dumps({"metrics": metrics}))


# --- Provenance ---------------------------------------------------------------------------------

LEGACY_RUN = "unknown"  # figures from before runs were recorded: commit, date, machine unknown
LEGACY_INFO = {
    "commit": "unknown",
    "dirty": None,
    "date": "unknown",
    "machine": {},
    "modules": [],
    "modules_seconds": {},
    "failed": {},
    "skipped": {},
    "complete": False,
}
OWN_FILES = "docs/benchmarks."  # the runner's own output does not make the tree dirty


def _porcelain_dirty(porcelain: str) -> bool:
    """Whether `git status --porcelain` lists a change other than docs/benchmarks.*."""
    for line in porcelain.splitlines():
        path = line[3:].split(" -> ")[-1].strip().strip('"')
        if path and not path.startswith(OWN_FILES):
            return True
    return False


def git_state(root: Path) -> tuple[str, bool | None]:
    """(commit sha, dirty) of the tree at root; ("unknown", None) without git or a repository."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout

    try:
        commit = git("rev-parse", "HEAD").strip()
        dirty = _porcelain_dirty(git("status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return "unknown", None
    return commit or "unknown", dirty


def new_run(
    now: datetime.datetime, commit: str, dirty: bool | None, info: dict, taken: set[str]
) -> dict:
    """This run's record; its id (UTC time, short commit) is unique among the taken ones."""
    utc = now.astimezone(datetime.UTC)
    base = f"{utc:%Y%m%dT%H%M%SZ}" + (f"-{commit[:7]}" if commit != "unknown" else "")
    run_id, n = base, 1
    while run_id in taken or run_id == LEGACY_RUN:
        n += 1
        run_id = f"{base}-{n}"
    return {
        "id": run_id,
        "commit": commit,
        "dirty": dirty,
        "date": now.isoformat(timespec="seconds"),
        "machine": info,
    }


def _declared(module: Module) -> set[str]:
    """The metrics a module names in its declarations (it may not produce them every run)."""
    return {*module.targets, *module.anchors, *module.anchors.values(), *module.notes}


def merge(
    previous_values: dict,
    previous_meta: dict,
    outcomes: list[Outcome],
    run: dict,
    modules: list[Module],
) -> tuple[dict[str, float], dict]:
    """The new benchmarks.json and benchmarks.meta.json contents (see the module docstring).

    ``run`` is ``new_run(...)``; ``modules`` are all the discovered modules. The values list this
    run's metrics first, in the order measured, then the stale ones.
    """
    discovered = {m.name: m for m in modules}
    declared_by: dict[str, str] = {}
    for m in modules:
        for metric in sorted(_declared(m)):
            declared_by.setdefault(metric, m.name)
    succeeded = {o.module.name for o in outcomes if not (o.failed or o.skipped)}
    complete = set(discovered) <= succeeded
    runs_before = previous_meta.get("runs") if isinstance(previous_meta, dict) else None
    runs_before = runs_before if isinstance(runs_before, dict) else {}
    metrics_before = previous_meta.get("metrics") if isinstance(previous_meta, dict) else None
    metrics_before = metrics_before if isinstance(metrics_before, dict) else {}

    values: dict[str, float] = {}
    provenance: dict[str, dict[str, str]] = {}
    for outcome in outcomes:
        for metric, value in outcome.metrics.items():
            values[metric] = value
            provenance[metric] = {"run": run["id"], "module": outcome.module.name}

    for metric, value in previous_values.items():
        if metric in values or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        before = metrics_before.get(metric)
        before = before if isinstance(before, dict) else {}
        run_id = before.get("run")
        if run_id not in runs_before or run_id == LEGACY_RUN:
            run_id = LEGACY_RUN
        module = before.get("module") or declared_by.get(metric, "")
        if module and module not in discovered:
            continue  # its module is gone
        if module in succeeded and metric not in _declared(discovered[module]):
            continue  # its module ran and measures something else now
        if not module and complete:
            continue  # nobody declares it and no module produced it
        values[metric] = value
        provenance[metric] = {"run": run_id, "module": module}

    this_run = {k: v for k, v in run.items() if k != "id"}
    this_run.update(
        modules=[o.module.name for o in outcomes],
        modules_seconds={o.module.name: round(o.seconds, 1) for o in outcomes},
        failed={o.module.name: o.failed for o in outcomes if o.failed},
        skipped={o.module.name: o.skipped for o in outcomes if o.skipped},
        complete=complete,
    )
    runs = {}  # only the runs some kept metric refers to, and this one
    for run_id in sorted({p["run"] for p in provenance.values()} - {run["id"]}):
        runs[run_id] = LEGACY_INFO if run_id == LEGACY_RUN else runs_before[run_id]
    runs[run["id"]] = this_run
    return values, {"latest": run["id"], "runs": runs, "metrics": provenance}


def load_previous(docs: Path) -> tuple[dict, dict]:
    """benchmarks.json and benchmarks.meta.json as they are; {} for a missing or broken file."""
    found = []
    for name in ("benchmarks.json", "benchmarks.meta.json"):
        data = {}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads((docs / name).read_text(encoding="utf-8"))
        found.append(data if isinstance(data, dict) else {})
    return found[0], found[1]


# --- Reporting ----------------------------------------------------------------------------------


def unit_of(metric: str) -> str:
    for suffix, unit in (("_per_s", "/s"), ("_ms", "ms"), ("_s", "s"), ("_mb", "MB")):
        if metric.endswith(suffix):
            return unit
    return ""


def fmt(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{value:,.0f}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if magnitude >= 0.1 else f"{value:.4f}"


@dataclass
class Row:
    module: str
    metric: str
    value: float
    unit: str
    target: str
    status: str  # "ok" / "MISSED" for a current metric with a target, "stale", or ""
    ratio: str
    notes: str
    run: str  # the id of the run that measured it
    stale: bool  # measured by an earlier run, not this one


def table_rows(values: dict[str, float], meta: dict, modules: list[Module]) -> list[Row]:
    """This run's metrics in the order measured, then the stale ones newest run first."""
    by_name = {m.name: m for m in modules}
    latest = meta["latest"]
    provenance = meta["metrics"]
    current = [m for m in values if provenance[m]["run"] == latest]
    stale = sorted((m for m in values if provenance[m]["run"] != latest), key=lambda m: m)
    stale.sort(key=lambda m: provenance[m]["module"])
    stale.sort(key=lambda m: provenance[m]["run"], reverse=True)  # ids start with the UTC time
    stale.sort(key=lambda m: provenance[m]["run"] == LEGACY_RUN)
    rows = []
    for metric in [*current, *stale]:
        run_id = provenance[metric]["run"]
        module = by_name.get(provenance[metric]["module"])
        value = values[metric]
        is_stale = run_id != latest
        target = status = ratio = ""
        if module and metric in module.targets:
            limit, op = module.targets[metric]
            target = f"{op} {limit:g}"
            status = "stale" if is_stale else "ok" if OPERATORS[op](value, limit) else "MISSED"
        elif is_stale:
            status = "stale"
        if module and metric in module.anchors:
            anchor = module.anchors[metric]
            same_run = anchor in values and provenance[anchor]["run"] == run_id
            if same_run and run_id != LEGACY_RUN and values[anchor]:
                ratio = f"{value / values[anchor]:.1f}× {anchor}"
        rows.append(
            Row(
                module=provenance[metric]["module"],
                metric=metric,
                value=value,
                unit=unit_of(metric),
                target=target,
                status=status,
                ratio=ratio,
                notes=module.notes.get(metric, "") if module else "",
                run=run_id,
                stale=is_stale,
            )
        )
    return rows


def print_table(rows: list[Row], outcomes: list[Outcome]) -> None:
    headers = ("metric", "value", "unit", "target", "", "vs anchor", "")
    cells = [
        (
            r.metric,
            fmt(r.value),
            r.unit,
            r.target,
            r.status,
            r.ratio,
            f"from run {r.run}" if r.stale else "",
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [headers, *cells]) for i in range(len(headers))]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths).rstrip())
    for c in cells:
        line = [
            str(v).rjust(w) if i == 1 else str(v).ljust(w)
            for i, (v, w) in enumerate(zip(c, widths, strict=True))
        ]
        print("  ".join(line).rstrip())
    for o in outcomes:
        if o.skipped:
            print(f"skipped {o.module.name}: {o.skipped}")
        if o.failed:
            print(f"FAILED {o.module.name}: {o.failed}")


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _postgres_version() -> str:
    try:
        with _connect_postgres() as connection:
            return f"PostgreSQL {connection.info.server_version // 10000}." + str(
                connection.info.server_version % 10000
            )
    except Skip as exc:
        return f"PostgreSQL not reachable ({exc})"


def machine() -> dict[str, str]:
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
    }


HEADER = """\
# Benchmarks

Measured with `make bench` (`.venv/bin/python -m bench.run`; `--only NAME` runs a
subset). Each module runs in its own process on a fresh, migrated database: a temporary
SQLite file, or a temporary PostgreSQL database. Sizes and seeds are fixed in the
modules (`bench/*.py`, `engines/*/bench.py`); `docs/benchmarks.json` holds the same
numbers, and `docs/benchmarks.meta.json` the run (commit, date, machine) behind each one.

How to read this page: the first table holds only the figures measured by the run described
right above it; their targets are judged there (*ok* or *MISSED*). A figure that run did not
measure (its module was not selected, failed or was skipped) is listed under *Stale figures*
with the run that measured it — its own commit, date and machine in the legend. A stale figure
is never judged against its target (status *stale*), and may come from older code or another
machine, so compare it with care. *vs anchor* divides a metric by a simpler measurement taken
in the same run, so machines of different speed can be compared; no ratio is shown across runs.
"""


def _commit_text(run: dict) -> str:
    commit = run.get("commit", "unknown")
    if commit == "unknown":
        return "unknown"
    dirty = run.get("dirty")
    state = "with uncommitted changes" if dirty else "clean tree" if dirty is False else "?"
    return f"`{commit[:12]}` ({state})"


def _machine_lines(info: dict) -> list[str]:
    if not info:
        return ["- Machine: unknown"]
    return [
        f"- Machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores, {info.get('os', '?')}",
        f"- Python {info.get('python', '?')}; SQLite {info.get('sqlite', '?')}; "
        f"{info.get('postgresql', '?')}",
    ]


def _modules_text(run: dict) -> str:
    parts = []
    for name in run.get("modules", []):
        if name in run.get("failed", {}):
            parts.append(f"{name} (failed: {run['failed'][name]})")
        elif name in run.get("skipped", {}):
            parts.append(f"{name} (skipped: {run['skipped'][name]})")
        else:
            parts.append(f"{name} ({run.get('modules_seconds', {}).get(name, 0):.0f} s)")
    return ", ".join(parts) or "none"


def _table(rows: list[Row], with_run: bool) -> list[str]:
    run_head, run_rule = ("run | ", "--- | ") if with_run else ("", "")
    lines = [
        f"| module | metric | value | unit | target | status | vs anchor | {run_head}notes |",
        f"| --- | --- | ---: | --- | --- | --- | --- | {run_rule}--- |",
    ]
    for r in rows:
        run_cell = f"{r.run} | " if with_run else ""
        lines.append(
            f"| {r.module} | `{r.metric}` | {fmt(r.value)} | {r.unit} | {r.target} | "
            f"{r.status} | {r.ratio} | {run_cell}{r.notes} |"
        )
    return lines


def render_docs(rows: list[Row], meta: dict, modules: list[Module]) -> str:
    """docs/benchmarks.md: this run's provenance and figures, then the stale ones by run."""
    latest = meta["latest"]
    run = meta["runs"][latest]
    not_run = [m.name for m in modules if m.name not in run.get("modules", [])]
    complete = "yes" if run.get("complete") else "no"
    if not run.get("complete"):
        missing = [*not_run, *run.get("failed", {}), *run.get("skipped", {})]
        complete += f" — not measured: {', '.join(missing)}" if missing else ""
    lines = [
        HEADER,
        "## This run",
        "",
        f"- Run: `{latest}`",
        f"- Commit: {_commit_text(run)}",
        f"- Date: {run.get('date', 'unknown')}",
        *_machine_lines(run.get("machine", {})),
        f"- Modules run: {_modules_text(run)}",
        f"- Complete (every module measured): {complete}",
        "",
    ]
    current = [r for r in rows if not r.stale]
    lines += _table(current, with_run=False) if current else ["No figures measured in this run."]
    stale = [r for r in rows if r.stale]
    if stale:
        lines += [
            "",
            "## Stale figures (measured by earlier runs)",
            "",
            "Not measured by the run above; each keeps the run that measured it. Targets are not",
            "judged on these figures.",
            "",
        ]
        for run_id in dict.fromkeys(r.run for r in stale):
            earlier = meta["runs"].get(run_id, LEGACY_INFO)
            lines.append(f"### Run `{run_id}`")
            lines.append("")
            if run_id == LEGACY_RUN:
                lines.append("- Recorded before provenance was kept: commit, date, machine unknown")
            else:
                lines += [
                    f"- Commit: {_commit_text(earlier)}",
                    f"- Date: {earlier.get('date', 'unknown')}",
                    *_machine_lines(earlier.get("machine", {})),
                    f"- Modules run: {_modules_text(earlier)}",
                    f"- Complete: {'yes' if earlier.get('complete') else 'no'}",
                ]
            lines.append("")
        lines += _table(stale, with_run=True)
    return "\n".join(lines) + "\n"


def write_docs(values: dict[str, float], meta: dict, text: str) -> None:
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks.json").write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")
    (DOCS / "benchmarks.meta.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    (DOCS / "benchmarks.md").write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[], help="run only these modules")
    parser.add_argument("--list", action="store_true", help="list the modules and exit")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per module")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    parser.add_argument("--module", help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--database", choices=DATABASES, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.module:
        child(args.module, args.database or "sqlite", args.result)
        return 0

    modules = discover()
    if args.list:
        for m in modules:
            print(f"{m.name:<28} {m.database:<10} {m.module}")
        return 0
    chosen = select(modules, args.only)
    started = datetime.datetime.now().astimezone()
    commit, dirty = git_state(ROOT)
    outcomes = []
    for index, module in enumerate(chosen, start=1):
        print(f"[{index}/{len(chosen)}] {module.name} ({module.database}) …", flush=True)
        outcome = run_module(module, args.timeout)
        state = outcome.skipped and "skipped" or outcome.failed and "FAILED" or "done"
        print(f"[{index}/{len(chosen)}] {module.name}: {state} in {outcome.seconds:.1f} s")
        if outcome.skipped or outcome.failed:
            print(f"  {outcome.skipped or outcome.failed}")
        outcomes.append(outcome)

    previous_values, previous_meta = load_previous(DOCS)
    taken = set(previous_meta.get("runs") or {})
    run = new_run(started, commit, dirty, machine(), taken)
    values, meta = merge(previous_values, previous_meta, outcomes, run, modules)
    rows = table_rows(values, meta, modules)
    print_table(rows, outcomes)
    tree = "uncommitted changes" if dirty else "clean" if dirty is False else "git state unknown"
    print(f"\nrun {run['id']}: commit {commit[:12]} ({tree}), {len(outcomes)} module(s)")
    if any(r.stale for r in rows):
        print("rows marked 'from run …' are stale: this run did not measure them")
    if not args.no_write:
        write_docs(values, meta, render_docs(rows, meta, modules))
        where = DOCS.relative_to(ROOT) if DOCS.is_relative_to(ROOT) else DOCS
        print(f"wrote {where}/benchmarks.md, benchmarks.json and benchmarks.meta.json")
    return 1 if any(o.failed for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
