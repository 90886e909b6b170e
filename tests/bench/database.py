"""The benchmark's own PostgreSQL database: created if missing, then Django set up on it."""

from __future__ import annotations

import os
import warnings

import dj_database_url
import psycopg
from psycopg import sql

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/advocacy_bench"


class BenchDatabaseError(Exception):
    """The database cannot hold the benchmark; the message says why."""


def database_url() -> str:
    """``DATABASE_URL`` if set, else the local ``advocacy_bench`` database.

    The benchmark truncates and bulk-loads the tables it fills, so it refuses a database
    whose name does not say ``bench``: a development or CI database is never filled by
    mistake because ``DATABASE_URL`` was exported in the shell.
    """
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise BenchDatabaseError(f"The benchmark runs on PostgreSQL only, not {url!r}.")
    if "bench" not in config["NAME"]:
        raise BenchDatabaseError(
            f"Refusing to load benchmark data into {config['NAME']!r}: its name must "
            "contain 'bench'. Point DATABASE_URL at a database of its own."
        )
    return url


def create_database(url: str) -> bool:
    """Create the database named in ``url`` unless it exists; True if it was created."""
    config = dj_database_url.parse(url)
    connection_options = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **connection_options) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if exists:
            return False
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
        return True


def set_up_django(url: str) -> None:
    """Load the desk's settings on ``url``, migrate, and serve requests as production does.

    Settings load in development mode (``DEBUG=1``: no HTTPS redirect, plain static
    storage), then ``DEBUG`` is switched off before any request or template engine exists,
    so timings carry no debug cursor, query log or template debug information; query counts
    come from ``CaptureQueriesContext``, which forces the debug cursor for its own block.
    """
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "advocacy.settings"

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # django.test.Client
    # With DEBUG off WhiteNoise indexes STATIC_ROOT, which only `collectstatic` creates.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    call_command("migrate", interactive=False, verbosity=0)
