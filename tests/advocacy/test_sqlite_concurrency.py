"""Web, worker and beat share one SQLite file by default; their writes must not collide."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from cases.models import Order

ROOT = Path(__file__).resolve().parents[2]
WRITERS, TRANSACTIONS = 4, 150


def run_manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def test_concurrent_writers_do_not_hit_database_is_locked(tmp_path):
    database = tmp_path / "desk.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "DJANGO_SETTINGS_MODULE": "advocacy.settings", "SECRET_KEY": settings.SECRET_KEY}
    run_manage(env, "migrate", "--verbosity", "0")

    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.advocacy.sqlite_writer", f"w{n}", str(TRANSACTIONS)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(WRITERS)
    ]
    results = [(writer.wait(timeout=300), *writer.communicate()) for writer in writers]

    failures = [err for code, _out, err in results if code != 0]
    assert not failures, failures[0][-2000:]
    assert all("database is locked" not in err for _code, _out, err in results)


    with sqlite3.connect(database) as db:
        (orders,) = db.execute(f"SELECT COUNT(*) FROM {Order._meta.db_table}").fetchone()
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    assert orders == WRITERS * TRANSACTIONS
    assert mode == "wal"
