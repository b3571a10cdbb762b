"""Run the benchmarks; print a table; write docs/benchmarks.md and docs/benchmarks.json.

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
background tasks in-process and synchronous, DEBUG off. docs/benchmarks.json is a flat
metric → number object, merged with the previous file so a subset keeps the other metrics.
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
    status: str
    ratio: str
    notes: str
    earlier: str  # "earlier run" when this run did not measure it


def table_rows(
    outcomes: list[Outcome], modules: list[Module], merged: dict[str, float]
) -> list[Row]:
    """One row per metric of this run, then the metrics only earlier runs measured."""
    declared = {}
    for m in modules:
        for metric in (*m.targets, *m.anchors, *m.notes):
            declared.setdefault(metric, m)
    measured = {metric: o.module for o in outcomes for metric in o.metrics}
    rows = []
    for metric in [*measured, *sorted(set(merged) - set(measured))]:
        module = measured.get(metric) or declared.get(metric)
        value = merged[metric]
        target = status = ratio = ""
        if module and metric in module.targets:
            limit, op = module.targets[metric]
            target = f"{op} {limit:g}"
            status = "ok" if OPERATORS[op](value, limit) else "MISSED"
        if module and metric in module.anchors:
            anchor = module.anchors[metric]
            if merged.get(anchor):
                ratio = f"{value / merged[anchor]:.1f}× {anchor}"
        notes = module.notes.get(metric, "") if module else ""
        earlier = "" if metric in measured else "earlier run"
        if earlier:
            notes = f"{notes} ({earlier})".strip()
        rows.append(
            Row(
                module.name if module else "",
                metric,
                value,
                unit_of(metric),
                target,
                status,
                ratio,
                notes,
                earlier,
            )
        )
    return rows


def print_table(rows: list[Row], outcomes: list[Outcome]) -> None:
    headers = ("metric", "value", "unit", "target", "", "vs anchor", "")
    cells = [(r.metric, fmt(r.value), r.unit, r.target, r.status, r.ratio, r.earlier) for r in rows]
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


def write_docs(rows: list[Row], outcomes: list[Outcome], merged: dict[str, float]) -> None:
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks.json").write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    info = machine()
    now = datetime.datetime.now().astimezone()
    lines = [
        "# Benchmarks",
        "",
        "Measured with `make bench` (`.venv/bin/python -m bench.run`; `--only NAME` runs a",
        "subset). Each module runs in its own process on a fresh, migrated database: a temporary",
        "SQLite file, or a temporary PostgreSQL database. Sizes and seeds are fixed in the",
        "modules (`bench/*.py`, `engines/*/bench.py`); `docs/benchmarks.json` holds the same",
        "numbers. *vs anchor* divides a metric by a simpler measurement taken in the same run,",
        "so machines of different speed can be compared.",
        "",
        f"- Date: {now:%Y-%m-%d %H:%M %Z}",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['os']}",
        f"- Python {info['python']}; SQLite {info['sqlite']}; {info['postgresql']}",
        "",
        "| module | metric | value | unit | target | | vs anchor | notes |",
        "| --- | --- | ---: | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r.module} | `{r.metric}` | {fmt(r.value)} | {r.unit} | {r.target} | "
            f"{r.status} | {r.ratio} | {r.notes} |"
        )
    skipped = [o for o in outcomes if o.skipped or o.failed]
    if skipped:
        lines += ["", "Not measured in this run:", ""]
        lines += [
            f"- {o.module.name}: {'skipped, ' + o.skipped if o.skipped else 'failed, ' + o.failed}"
            for o in skipped
        ]
    (DOCS / "benchmarks.md").write_text("\n".join(lines) + "\n")


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
    outcomes = []
    for index, module in enumerate(chosen, start=1):
        print(f"[{index}/{len(chosen)}] {module.name} ({module.database}) …", flush=True)
        outcome = run_module(module, args.timeout)
        state = outcome.skipped and "skipped" or outcome.failed and "FAILED" or "done"
        print(f"[{index}/{len(chosen)}] {module.name}: {state} in {outcome.seconds:.1f} s")
        if outcome.skipped or outcome.failed:
            print(f"  {outcome.skipped or outcome.failed}")
        outcomes.append(outcome)

    path = DOCS / "benchmarks.json"
    merged: dict[str, float] = {}
    if path.exists():
        with contextlib.suppress(ValueError):
            earlier = json.loads(path.read_text())
            merged = {k: v for k, v in earlier.items() if isinstance(v, int | float)}
    for outcome in outcomes:
        merged.update(outcome.metrics)
    rows = table_rows(outcomes, modules, merged)
    print_table(rows, outcomes)
    if not args.no_write:
        write_docs(rows, outcomes, merged)
        print(f"\nwrote {DOCS.relative_to(ROOT)}/benchmarks.md and benchmarks.json")
    return 1 if any(o.failed for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
