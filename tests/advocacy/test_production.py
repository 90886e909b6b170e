"""What docker-compose runs, run directly: gunicorn with production settings."""

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.celery_worker import ROOT, child_environment
from tests.mail import free_port

pytestmark = pytest.mark.django_db(transaction=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str) -> tuple[int, str, dict]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), dict(error.headers)


def test_gunicorn_serves_the_desk_with_production_settings(tmp_path: Path):
    port = free_port()
    env = child_environment(
        DEBUG="0", SECRET_KEY="x" * 60, ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(tmp_path / "static"), VAR_DIR=str(tmp_path / "var"),
    )
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                   cwd=ROOT, env=env, check=True)
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "advocacy.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2"], cwd=ROOT, env=env, stdout=log, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                status, body, _headers = fetch(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        assert (status, "ok" in body) == (200, True)

        status, page, headers = fetch(f"{base}/accounts/login/")
        assert status == 200
        assert headers["X-Frame-Options"] == "DENY"
        stylesheet = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
        assert stylesheet.startswith("/static/css/desk.") and stylesheet.endswith(".css")

        status, _css, headers = fetch(base + stylesheet)
        assert status == 200 and "immutable" in headers["Cache-Control"]

        status, _body, headers = fetch(f"{base}/customers/")
        assert status == 302 and headers["Location"].startswith("/accounts/login/")

        status, _body, _headers = fetch(f"{base}/nowhere")
        assert status == 404
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()

