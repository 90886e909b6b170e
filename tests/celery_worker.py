"""A real Celery worker (and beat) in a subprocess, on the test database.

For behaviour that depends on a worker: acks, retries, the sweeper, a broker losing its
queue. The worker gets the test database's URL, so tests using it need ``transactional_db``
(their rows must be committed for another process to see them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from advocacy.celery import app

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database this test process uses (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


@contextmanager
def filesystem_broker() -> Iterator[Path]:
    """Point this process's Celery producer at a private filesystem queue."""
    folder = Path(tempfile.mkdtemp(prefix="advocacy-celery-"))
    for name in ("queue", "processed", "control"):
        (folder / "celery" / name).mkdir(parents=True)
    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": str(folder / "celery" / "queue"),
        "data_folder_out": str(folder / "celery" / "queue"),
        "processed_folder": str(folder / "celery" / "processed"),
        "control_folder": str(folder / "celery" / "control"),
        "store_processed": False,
    }
    _reset_producer_pool()
    try:
        yield folder
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        _reset_producer_pool()
        shutil.rmtree(folder, ignore_errors=True)


def _reset_producer_pool() -> None:
    """Make the next task sent open a connection with the current broker settings."""
    app._pool = None
    app.amqp._producer_pool = None


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process, self.log_path = process, log_path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def child_environment(*, redis_url: str = "", var_dir: Path | None = None, **env: str) -> dict:
    """The environment of a web, worker or beat process on the test database."""
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "advocacy.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "1",
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    if var_dir is not None:
        child_env["VAR_DIR"] = str(var_dir)
    return child_env


@contextmanager
def running_worker(
    *, beat: bool = False, redis_url: str = "", var_dir: Path | None = None, **env: str
) -> Iterator[Worker]:
    """Start ``celery worker`` (with embedded beat if asked) and stop it afterwards.

    With ``redis_url`` the worker uses Redis; otherwise the filesystem queue under
    ``var_dir`` (from :func:`filesystem_broker`).
    """
    command = [
        "worker", "--loglevel", "INFO", "--concurrency", "1", "--pool", "solo",
        "--without-mingle", "--without-gossip",
    ]
    if beat:
        command += ["--beat", "--schedule", str(Path(tempfile.mkdtemp()) / "beat-schedule")]
    with running(command, child_environment(redis_url=redis_url, var_dir=var_dir, **env)) as w:
        yield w


@contextmanager
def running_beat(*, redis_url: str = "", var_dir: Path | None = None, **env: str):
    """Start ``celery beat`` on its own, as docker-compose and ``make run`` do."""
    schedule = str(Path(tempfile.mkdtemp()) / "beat-schedule")
    child_env = child_environment(redis_url=redis_url, var_dir=var_dir, **env)
    with running(["beat", "--loglevel", "INFO", "--schedule", schedule], child_env) as beat:
        yield beat


@contextmanager
def running(celery_args: list[str], child_env: dict) -> Iterator[Worker]:
    command = [sys.executable, "-m", "celery", "-A", "advocacy", *celery_args]
    log_path = Path(tempfile.mkdtemp()) / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=child_env, stdout=log, stderr=log)
        try:
            yield Worker(process, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(
    condition: Callable[[], bool], *, worker: Worker, timeout: float = 45.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            raise AssertionError(f"The worker exited early:\n{worker.output()[-4000:]}")
        time.sleep(0.2)
    raise AssertionError(
        f"Timed out after {timeout:.0f}s waiting for {what}; worker log:\n"
        f"{worker.output()[-4000:]}"
    )
