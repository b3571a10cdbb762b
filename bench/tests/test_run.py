"""The benchmark runner: provenance of every figure, stale rows, ratios only within one run."""

import datetime
import json
import os
from pathlib import Path

from bench import run as runner
from bench.run import LEGACY_RUN, Module, Outcome, merge, new_run, render_docs, table_rows

EARLIER = "20260101T000000Z-aaaaaaa"
NOW = datetime.datetime(2026, 11, 26, 9, 30, tzinfo=datetime.UTC)
MACHINE = {"cpu": "Test CPU", "cores": "2", "os": "Linux", "python": "3.11", "sqlite": "3"}


def module(name: str, **declared) -> Module:
    path = Path(f"{name}.py")
    return Module(name=name, module=f"bench.{name}", path=path, database="none", **declared)


def outcome(mod: Module, seconds: float = 1.5, **kwargs) -> Outcome:
    return Outcome(mod, seconds=seconds, **kwargs)


def earlier_meta(metrics: dict[str, str], run_id: str = EARLIER) -> dict:
    """A meta file from one earlier run that measured these metric → module."""
    return {
        "latest": run_id,
        "runs": {
            run_id: {
                "commit": "a" * 40,
                "dirty": False,
                "date": "2026-01-01T08:00:00+08:00",
                "machine": {"cpu": "Old CPU", "cores": "8"},
                "modules": sorted(set(metrics.values())),
                "modules_seconds": {},
                "failed": {},
                "skipped": {},
                "complete": True,
            }
        },
        "metrics": {m: {"run": run_id, "module": mod} for m, mod in metrics.items()},
    }


def this_run(taken=()) -> dict:
    return new_run(NOW, "b" * 40, True, MACHINE, set(taken))


def by_metric(rows):
    return {r.metric: r for r in rows}


# --- merge ----------------------------------------------------------------------------------------


def test_a_subset_run_keeps_other_metrics_as_stale_with_their_old_provenance():
    a, b = module("a"), module("b")
    previous = {"a_s": 5.0, "b_s": 7.0}
    meta_before = earlier_meta({"a_s": "a", "b_s": "b"})
    run = this_run(meta_before["runs"])

    values, meta = merge(previous, meta_before, [outcome(a, metrics={"a_s": 4.0})], run, [a, b])

    assert values == {"a_s": 4.0, "b_s": 7.0}
    assert meta["metrics"]["a_s"] == {"run": run["id"], "module": "a"}
    assert meta["metrics"]["b_s"] == {"run": EARLIER, "module": "b"}
    assert meta["runs"][EARLIER] == meta_before["runs"][EARLIER]  # its commit, date, machine
    assert meta["runs"][run["id"]]["modules"] == ["a"]
    assert meta["runs"][run["id"]]["complete"] is False
    rows = by_metric(table_rows(values, meta, [a, b]))
    assert not rows["a_s"].stale
    assert rows["b_s"].stale and rows["b_s"].run == EARLIER and rows["b_s"].status == "stale"


def test_the_json_stays_flat_and_every_metric_has_commit_date_and_machine():
    a, b = module("a"), module("b")
    previous = {"a_s": 5.0, "b_s": 7.0, "legacy_n": 3}
    meta_before = earlier_meta({"a_s": "a", "b_s": "b"})
    outcomes = [outcome(a, metrics={"a_s": 4.0, "a_n": 2})]

    values, meta = merge(previous, meta_before, outcomes, this_run(), [a, b])

    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values())
    assert json.loads(json.dumps(values)) == values  # flat metric → number
    assert set(meta["metrics"]) == set(values)
    for provenance in meta["metrics"].values():
        run = meta["runs"][provenance["run"]]
        assert {"commit", "dirty", "date", "machine", "modules", "complete"} <= set(run)
    assert meta["runs"][this_run()["id"]]["commit"] == "b" * 40
    assert meta["runs"][this_run()["id"]]["machine"] == MACHINE
    assert meta["runs"][this_run()["id"]]["modules_seconds"] == {"a": 1.5}


def test_figures_from_before_provenance_are_kept_under_an_unknown_run():
    a = module("a", notes={"a_old_s": "declared"})
    values, meta = merge({"a_old_s": 1.0, "x_s": 2.0}, {}, [], this_run(), [a])

    assert meta["metrics"]["a_old_s"] == {"run": LEGACY_RUN, "module": "a"}  # by declaration
    assert meta["metrics"]["x_s"] == {"run": LEGACY_RUN, "module": ""}
    assert meta["runs"][LEGACY_RUN]["commit"] == "unknown"
    assert meta["runs"][LEGACY_RUN]["date"] == "unknown"


def test_a_failed_or_skipped_module_keeps_its_previous_figures_as_stale():
    a, b, c = module("a"), module("b"), module("c")
    previous = {"a_s": 1.0, "b_s": 2.0, "c_s": 3.0}
    meta_before = earlier_meta({"a_s": "a", "b_s": "b", "c_s": "c"})
    outcomes = [
        outcome(a, metrics={"a_s": 1.1}),
        outcome(b, failed="exit code 1"),
        outcome(c, skipped="PostgreSQL unreachable"),
    ]
    run = this_run()

    values, meta = merge(previous, meta_before, outcomes, run, [a, b, c])

    assert values == {"a_s": 1.1, "b_s": 2.0, "c_s": 3.0}
    assert meta["metrics"]["b_s"]["run"] == EARLIER
    assert meta["metrics"]["c_s"]["run"] == EARLIER
    record = meta["runs"][run["id"]]
    assert record["failed"] == {"b": "exit code 1"}
    assert record["skipped"] == {"c": "PostgreSQL unreachable"}
    assert record["complete"] is False  # every module ran, but not every one measured


def test_a_run_of_every_module_is_complete():
    a, b = module("a"), module("b")
    outcomes = [outcome(a, metrics={"a_s": 1.0}), outcome(b, metrics={"b_s": 1.0})]
    _, meta = merge({}, {}, outcomes, this_run(), [a, b])
    assert meta["runs"][meta["latest"]]["complete"] is True


def test_a_module_that_ran_drops_the_metrics_it_no_longer_produces_or_declares():
    a = module("a", notes={"a_optional_s": "only with a knob set"})
    b = module("b")
    previous = {"a_renamed_s": 1.0, "a_optional_s": 2.0, "b_s": 3.0, "gone_s": 4.0}
    meta_before = earlier_meta(
        {"a_renamed_s": "a", "a_optional_s": "a", "b_s": "b", "gone_s": "removed_module"}
    )
    outcomes = [outcome(a, metrics={"a_new_s": 0.5})]

    values, _ = merge(previous, meta_before, outcomes, this_run(), [a, b])

    assert "a_renamed_s" not in values  # a ran and measures something else now
    assert values["a_optional_s"] == 2.0  # still declared by a: kept, stale
    assert values["b_s"] == 3.0  # b did not run
    assert "gone_s" not in values  # its module no longer exists


def test_a_failed_module_does_not_lose_its_undeclared_metrics():
    a = module("a")
    meta_before = earlier_meta({"a_s": "a"})
    values, _ = merge({"a_s": 1.0}, meta_before, [outcome(a, failed="boom")], this_run(), [a])
    assert values == {"a_s": 1.0}


def test_figures_nobody_claims_are_dropped_only_by_a_complete_run():
    a, b = module("a"), module("b")
    previous = {"orphan_s": 9.0}

    partial, _ = merge(previous, {}, [outcome(a, metrics={"a_s": 1.0})], this_run(), [a, b])
    assert partial["orphan_s"] == 9.0

    outcomes = [outcome(a, metrics={"a_s": 1.0}), outcome(b, metrics={"b_s": 1.0})]
    complete, _ = merge(previous, {}, outcomes, this_run(), [a, b])
    assert "orphan_s" not in complete


def test_runs_no_metric_refers_to_are_forgotten():
    a = module("a")
    meta_before = earlier_meta({"a_s": "a"})
    _, meta = merge({"a_s": 1.0}, meta_before, [outcome(a, metrics={"a_s": 2.0})], this_run(), [a])
    assert list(meta["runs"]) == [this_run()["id"]]
    assert meta["latest"] == this_run()["id"]


def test_a_new_run_id_never_reuses_an_earlier_one():
    first = this_run()
    second = this_run(taken={first["id"]})
    assert first["id"] == "20261126T093000Z-bbbbbbb"
    assert second["id"] != first["id"]
    assert new_run(NOW, "unknown", None, {}, set())["id"] == "20261126T093000Z"


# --- rows: targets and ratios ---------------------------------------------------------------------


def test_targets_are_judged_only_on_this_runs_figures():
    a = module("a", targets={"a_s": (10, "<"), "a_fast_s": (10, "<")})
    b = module("b", targets={"b_s": (10, "<"), "b_slow_s": (10, "<")})
    previous = {"b_s": 1.0, "b_slow_s": 99.0}
    meta_before = earlier_meta({"b_s": "b", "b_slow_s": "b"})
    outcomes = [outcome(a, metrics={"a_s": 99.0, "a_fast_s": 1.0})]

    values, meta = merge(previous, meta_before, outcomes, this_run(), [a, b])
    rows = by_metric(table_rows(values, meta, [a, b]))

    assert rows["a_s"].status == "MISSED"
    assert rows["a_fast_s"].status == "ok"
    for stale in ("b_s", "b_slow_s"):  # would be ok / MISSED if judged
        assert rows[stale].status == "stale"
        assert rows[stale].target == "< 10"  # the target is shown, not judged


def test_no_ratio_when_the_metric_and_its_anchor_come_from_different_runs():
    a = module("a", anchors={"a_s": "anchor_s", "a2_s": "anchor2_s"})
    previous = {"anchor_s": 2.0, "a2_s": 6.0}
    meta_before = earlier_meta({"anchor_s": "a", "a2_s": "a"})
    # a ran and failed to produce the anchor: a_s is current, its anchor stale
    outcomes = [outcome(a, metrics={"a_s": 8.0, "anchor2_s": 3.0})]

    values, meta = merge(previous, meta_before, outcomes, this_run(), [a])
    rows = by_metric(table_rows(values, meta, [a]))

    assert rows["a_s"].ratio == ""  # current ÷ stale
    assert rows["a2_s"].ratio == ""  # stale ÷ current


def test_a_ratio_when_the_metric_and_its_anchor_come_from_one_run():
    a = module("a", anchors={"a_s": "anchor_s"})
    b = module("b", anchors={"b_s": "b_anchor_s"})
    previous = {"b_s": 9.0, "b_anchor_s": 3.0}
    meta_before = earlier_meta({"b_s": "b", "b_anchor_s": "b"})
    outcomes = [outcome(a, metrics={"a_s": 8.0, "anchor_s": 2.0})]

    values, meta = merge(previous, meta_before, outcomes, this_run(), [a, b])
    rows = by_metric(table_rows(values, meta, [a, b]))

    assert rows["a_s"].ratio == "4.0× anchor_s"
    assert rows["b_s"].ratio == "3.0× b_anchor_s"  # both stale, but from the same run


def test_no_ratio_between_figures_of_unknown_runs():
    a = module("a", anchors={"a_s": "anchor_s"})
    values, meta = merge({"a_s": 8.0, "anchor_s": 2.0}, {}, [], this_run(), [a])
    assert by_metric(table_rows(values, meta, [a]))["a_s"].ratio == ""


def test_rows_list_this_run_first_in_measured_order_then_the_stale_ones():
    a, b = module("a"), module("b")
    meta_before = earlier_meta({"b_s": "b"})
    outcomes = [outcome(a, metrics={"z_s": 1.0, "a_s": 1.0})]
    values, meta = merge({"b_s": 1.0, "legacy_s": 1.0}, meta_before, outcomes, this_run(), [a, b])
    assert [r.metric for r in table_rows(values, meta, [a, b])] == [
        "z_s",
        "a_s",
        "b_s",
        "legacy_s",
    ]


# --- the page -------------------------------------------------------------------------------------


def test_the_page_puts_this_runs_provenance_on_top_and_stale_rows_apart():
    a = module("a", targets={"a_s": (10, "<")})
    b = module("b", targets={"b_s": (10, "<")})
    meta_before = earlier_meta({"b_s": "b"})
    run = this_run()
    values, meta = merge({"b_s": 1.0}, meta_before, [outcome(a, metrics={"a_s": 1.0})], run, [a, b])

    text = render_docs(table_rows(values, meta, [a, b]), meta, [a, b])

    current, stale = text.split("## Stale figures")
    assert f"- Run: `{run['id']}`" in current
    assert f"`{'b' * 12}` (with uncommitted changes)" in current
    assert "Test CPU, 2 cores" in current
    assert "- Modules run: a (2 s)" in current
    assert "- Complete (every module measured): no — not measured: b" in current
    assert "`a_s`" in current and "`b_s`" not in current
    assert f"### Run `{EARLIER}`" in stale
    assert "Old CPU, 8 cores" in stale
    b_row = next(line for line in stale.splitlines() if "`b_s`" in line)
    assert "| stale |" in b_row and EARLIER in b_row and "ok" not in b_row.split("|")[6]


# --- git ------------------------------------------------------------------------------------------


def test_only_the_runners_own_files_leave_the_tree_clean():
    assert not runner._porcelain_dirty(" M docs/benchmarks.md\n?? docs/benchmarks.meta.json\n")
    assert runner._porcelain_dirty(" M docs/benchmarks.md\n M bench/run.py\n")
    assert runner._porcelain_dirty("R  a.py -> b.py\n")
    assert not runner._porcelain_dirty("")


def test_the_commit_is_unknown_outside_a_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert runner.git_state(tmp_path) == ("unknown", None)


# --- end to end -----------------------------------------------------------------------------------

FAKE = """
TARGETS = {"fake_ms": (10, "<")}
ANCHORS = {"fake_ms": "fake_anchor_ms"}


def run():
    return {"fake_ms": 4.0, "fake_anchor_ms": 2.0}
"""

BROKEN = """
def run():
    raise RuntimeError("broken on purpose")
"""


def test_main_runs_a_module_and_writes_values_provenance_and_page(tmp_path, monkeypatch, capsys):
    code = tmp_path / "code"
    code.mkdir()
    (code / "fakebench_ok.py").write_text(FAKE)
    (code / "fakebench_broken.py").write_text(BROKEN)
    modules = [
        runner._inspect(code / "fakebench_ok.py", "fake", "fakebench_ok", "none"),
        runner._inspect(code / "fakebench_broken.py", "broken", "fakebench_broken", "none"),
    ]
    root = tmp_path / "root"
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / "benchmarks.json").write_text(
        json.dumps({"broken_s": 3.0, "fake_old_ms": 1.0, "fake_ms": 50.0})
    )
    before = earlier_meta({"broken_s": "broken", "fake_old_ms": "fake", "fake_ms": "fake"})
    (docs / "benchmarks.meta.json").write_text(json.dumps(before))
    real_root = Path(runner.__file__).resolve().parent.parent
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(real_root), str(code)]))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setattr(runner, "ROOT", root)
    monkeypatch.setattr(runner, "DOCS", docs)
    monkeypatch.setattr(runner, "discover", lambda: modules)
    monkeypatch.setattr(runner, "machine", lambda: MACHINE)

    assert runner.main(["--timeout", "120"]) == 1  # broken failed

    out = capsys.readouterr().out
    assert "[1/2] fake: done" in out and "[2/2] broken: FAILED" in out
    values = json.loads((docs / "benchmarks.json").read_text())
    meta = json.loads((docs / "benchmarks.meta.json").read_text())
    assert values == {"fake_ms": 4.0, "fake_anchor_ms": 2.0, "broken_s": 3.0}
    latest = meta["latest"]
    assert meta["metrics"]["fake_ms"] == {"run": latest, "module": "fake"}
    assert meta["metrics"]["broken_s"] == {"run": EARLIER, "module": "broken"}
    record = meta["runs"][latest]
    assert record["commit"] == "unknown" and record["dirty"] is None
    assert record["modules"] == ["fake", "broken"]
    assert set(record["modules_seconds"]) == {"fake", "broken"}
    assert record["failed"] == {"broken": "exit code 1"}
    assert record["complete"] is False
    page = (docs / "benchmarks.md").read_text()
    fake_row = next(line for line in page.splitlines() if "`fake_ms`" in line)
    assert "| ok |" in fake_row and "2.0× fake_anchor_ms" in fake_row
    assert "broken (failed: exit code 1)" in page
    assert "| stale |" in next(line for line in page.splitlines() if "`broken_s`" in line)


def test_main_without_write_leaves_docs_alone(tmp_path, monkeypatch):
    code = tmp_path / "code"
    code.mkdir()
    (code / "fakebench_ok.py").write_text(FAKE)
    fake = runner._inspect(code / "fakebench_ok.py", "fake", "fakebench_ok", "none")
    real_root = Path(runner.__file__).resolve().parent.parent
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(real_root), str(code)]))
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    monkeypatch.setattr(runner, "DOCS", tmp_path / "docs")
    monkeypatch.setattr(runner, "discover", lambda: [fake])
    monkeypatch.setattr(runner, "machine", lambda: MACHINE)

    assert runner.main(["--no-write", "--only", "fake"]) == 0
    assert not (tmp_path / "docs").exists()


def test_list_names_the_modules(monkeypatch, capsys):
    monkeypatch.setattr(runner, "discover", lambda: [module("a")])
    assert runner.main(["--list"]) == 0
    assert capsys.readouterr().out.startswith("a ")
