"""Benchmark: import 50,000 shop rows from a CSV through imports.services, all or nothing.

Runs inside a configured Django environment (``bench.run`` provides one with a fresh, migrated
database). Creates the districts, grids and account managers the file refers to when they are
missing, writes a deterministic file (seed 0) to a temporary directory and imports it
synchronously: both phases (check every row, then write in one transaction and classify).
"""

import csv
import random
import tempfile
import time
from pathlib import Path

TARGETS = {"import_shops_50000_s": (60, "<")}
ANCHORS = {"import_shops_50000_s": "csv_read_50000_s"}
NOTES = {
    "import_shops_50000_s": "check every row, then upsert + classify in one transaction (SQLite)",
    "csv_read_50000_s": "anchor: reading the same file with the csv module only",
}

ROWS = 50_000
SEED = 0
DISTRICTS, GRIDS_PER_DISTRICT, MANAGERS = 10, 20, 40

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_KINDS = ["便利店", "超市", "烟酒店", "食杂店", "亭棚", "餐饮店", "娱乐场所", "其他"]
_CHANNELS = ["phone", "sms", "wechat", "app", "visit"]


def _territory() -> list[str]:
    """Grid codes of the benchmark city (created when missing)."""
    from customers.models import District, Grid

    for d in range(DISTRICTS):
        district, _ = District.objects.get_or_create(
            code=f"BD{d:02d}", defaults={"name": f"基准区{d}"}
        )
        for g in range(GRIDS_PER_DISTRICT):
            Grid.objects.get_or_create(
                code=f"BG{d:02d}{g:02d}", defaults={"district": district, "name": f"第{g}网格"}
            )
    return sorted(Grid.objects.filter(code__startswith="BG").values_list("code", flat=True))


def _managers() -> list[str]:
    from accounts.models import Role, User

    names = [f"bench_am{m:02d}" for m in range(MANAGERS)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    users = []
    for name in names:
        if name not in existing:
            user = User(username=name, role=Role.ACCOUNT_MANAGER)
            user.set_unusable_password()
            users.append(user)
    User.objects.bulk_create(users)
    return names


def _write_file(path: Path, grids: list[str], managers: list[str]) -> None:
    from customers.importers import SHOP_COLUMNS

    rng = random.Random(SEED)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([column.zh for column in SHOP_COLUMNS])  # the Chinese headers
        for i in range(ROWS):
            writer.writerow(
                [
                    f"35{i:010d}",
                    f"基准便利店{i}",
                    rng.choice(_SURNAMES) + rng.choice("伟芳娜敏静强磊军洋勇"),
                    f"13{rng.randrange(10**9):09d}",
                    f"合肥市基准路{i}号",
                    f"{31.7 + rng.random() * 0.3:.6f}",
                    f"{117.1 + rng.random() * 0.3:.6f}",
                    rng.choice(grids),
                    rng.choice(_KINDS),
                    rng.choice(["urban", "rural"]),
                    rng.randint(1, 30),
                    rng.randint(1, 5),
                    rng.choice(managers) if rng.random() < 0.8 else "",
                    ",".join(rng.sample(_CHANNELS, rng.randint(0, 3))),
                    f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                ]
            )


def run() -> dict[str, float]:
    """Seconds to import 50,000 shop rows, and rows per second."""
    from django.test import override_settings

    from imports import services
    from imports.models import ImportJob

    grids, managers = _territory(), _managers()
    with tempfile.TemporaryDirectory() as tmp, override_settings(MEDIA_ROOT=tmp):
        path = Path(tmp) / "shops.csv"
        _write_file(path, grids, managers)
        # Anchor: only reading the same file with the stdlib csv module (the floor for any import).
        started = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as fh:
            read_rows = sum(1 for _ in csv.reader(fh)) - 1
        read_only = time.perf_counter() - started
        started = time.perf_counter()
        job = services.import_file_run(kind=ImportJob.Kind.SHOPS, path=path)
        elapsed = time.perf_counter() - started
    if job.status != ImportJob.Status.SUCCEEDED or job.total_rows != ROWS:
        raise RuntimeError(f"import_shops benchmark failed: {job.status} {job.errors[:3]}")
    assert read_rows == ROWS
    return {
        "import_shops_50000_s": round(elapsed, 2),
        "csv_read_50000_s": round(read_only, 3),
        "import_shops_50000_rows_per_s": round(ROWS / elapsed),
    }
