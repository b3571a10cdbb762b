"""Benchmark: an administrator imports 50,000 shops over HTTP, as in production.

flexserve runs as ``make production`` runs it: gunicorn with 2 sync workers, a Celery worker,
Redis (cache, progress, broker), PostgreSQL (the fresh database ``bench.run`` gives), DEBUG off,
a bench-only high API rate limit. The districts, grids and account managers the file refers to
are created first, with an administrator and a bearer token (the upload endpoint accepts one,
like every API route). A deterministic file (seed 0) is uploaded with
``POST /api/imports/jobs``; the job is polled with ``GET /api/imports/jobs/{id}`` (its progress
printed) until it is done: both phases run in the worker (check every row, then write in one
transaction and classify). The time runs from the start of the upload to the poll that sees
the job done; afterwards the shops are counted in the database.
"""

import csv
import io
import json
import random
import tempfile
import time
import uuid
from pathlib import Path

from bench import _live as live

DATABASE = "postgresql"
TARGETS = {"import_shops_50000_s": (60, "<")}
ANCHORS = {"import_shops_50000_s": "csv_read_50000_s"}
NOTES = {
    "import_shops_50000_s": "upload start → job done: POST /api/imports/jobs, then the Celery "
    "worker checks every row and upserts + classifies in one transaction (PostgreSQL, gunicorn "
    "2 workers, Redis)",
    "import_shops_50000_upload_s": "the upload request alone (file stored, job queued)",
    "import_shops_50000_rows_per_s": "rows / import_shops_50000_s",
    "import_shops_50000_created": "shops the job reports created",
    "import_shops_50000_updated": "shops the job reports updated",
    "import_shops_50000_errors": "rows the job reports rejected",
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


POLL_EVERY_S = 0.25
JOB_TIMEOUT_S = 900


def _admin_token() -> str:
    """An administrator (created here: the benchmark database is empty) and a bearer token."""
    from django.core.management import call_command

    from accounts.models import Role, User

    User.objects.create_user(
        username="bench_admin", role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    out = io.StringIO()
    call_command("create_api_token", "bench_admin", name="bench", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def _multipart(fields: dict[str, str], name: str, filename: str, content: bytes):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
    )
    body = "".join(parts).encode() + head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _upload_and_wait(port: int, token: str, path: Path) -> tuple[dict, float, float]:
    """The finished job, the upload's seconds, and the seconds from upload start to done."""
    auth = {"Authorization": f"Bearer {token}"}
    body, content_type = _multipart({"kind": "shops"}, "file", "shops.csv", path.read_bytes())
    headers = auth | {"Content-Type": content_type, "Content-Length": str(len(body))}
    started = time.perf_counter()
    status, _, answer = live.http(port, "POST", "/api/imports/jobs", headers, body, timeout_s=60)
    uploaded = time.perf_counter() - started
    if status != 201:
        raise RuntimeError(f"POST /api/imports/jobs: HTTP {status} {answer[:300]!r}")
    job = json.loads(answer)
    print(f"  uploaded {len(body) / 1e6:.1f} MB in {uploaded:.2f} s: job {job['id']}")
    shown = None
    while job["status"] in ("queued", "validating", "importing"):
        if time.perf_counter() - started > JOB_TIMEOUT_S:
            raise RuntimeError(f"import job {job['id']} not done after {JOB_TIMEOUT_S} s: {job}")
        time.sleep(POLL_EVERY_S)
        status, _, answer = live.http(port, "GET", f"/api/imports/jobs/{job['id']}", auth)
        if status != 200:
            raise RuntimeError(f"GET /api/imports/jobs/{job['id']}: HTTP {status} {answer[:300]!r}")
        job = json.loads(answer)
        now = (job["status"], job["percent"])
        if now != shown:
            shown = now
            print(
                f"    {time.perf_counter() - started:6.1f} s  {job['status']:<10} "
                f"{job['percent']:3d} %  {job['processed_rows']:,}/{job['total_rows']:,} rows"
            )
    return job, uploaded, time.perf_counter() - started


def run() -> dict[str, float]:
    """Seconds from upload start to job done for 50,000 shop rows, rows per second, the job's
    own counts, and the csv-module anchor."""
    from django.db import connections

    from customers.models import Shop

    grids, managers = _territory(), _managers()
    token = _admin_token()
    connections.close_all()  # the servers below take over the database
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp, live.services() as services:
        tmp = Path(tmp)
        path = tmp / "shops.csv"
        _write_file(path, grids, managers)
        # Anchor: only reading the same file with the stdlib csv module (the floor for any import).
        started = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as fh:
            read_rows = sum(1 for _ in csv.reader(fh)) - 1
        read_only = time.perf_counter() - started
        assert read_rows == ROWS

        # gunicorn stores the upload, the worker reads it: one media directory for both.
        env = live.flexserve_env() | {"MEDIA_ROOT": str(tmp / "media")}
        port = live.free_port()
        services.append(live.celery_worker(env, tmp))
        gunicorn = live.flexserve_web(env, port, tmp)
        services.append(gunicorn)
        live.wait_ready(gunicorn, port, "/healthz")
        job, upload_s, elapsed = _upload_and_wait(port, token, path)
    if job["status"] != "succeeded" or job["total_rows"] != ROWS:
        raise RuntimeError(f"import_shops benchmark failed: {job['status']} {job['errors'][:3]}")
    shops = Shop.objects.count()
    if shops != ROWS:
        raise RuntimeError(f"the job succeeded but {shops:,} shops exist, not {ROWS:,}")
    print(
        f"  import: {elapsed:.1f} s from upload start to done ({ROWS / elapsed:,.0f} rows/s); "
        f"job: {job['created_count']:,} created, {job['updated_count']:,} updated, "
        f"{job['error_count']:,} errors; {shops:,} shops in the database"
    )
    return {
        "import_shops_50000_s": round(elapsed, 2),
        "import_shops_50000_upload_s": round(upload_s, 2),
        "import_shops_50000_rows_per_s": round(ROWS / elapsed),
        "import_shops_50000_created": job["created_count"],
        "import_shops_50000_updated": job["updated_count"],
        "import_shops_50000_errors": job["error_count"],
        "csv_read_50000_s": round(read_only, 3),
    }
