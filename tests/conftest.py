"""Fixtures shared by every test package."""

import os

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from advocacy.celery import app as celery_app
from tests.cases.factories import UserFactory
from tests.mail import MailSink, smtp_serving


@pytest.fixture(autouse=True)
def english_by_default():
    """Each test starts in the default language: a request in Italian, or a test that
    switched language, does not leave it on for the next test in this thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Unit tests run tasks in-process; tests marked ``worker`` use a real worker."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture
def advocate(db):
    return UserFactory.advocate(username="anna.advocate")


@pytest.fixture
def manager(db):
    return UserFactory.manager(username="marco.manager")


@pytest.fixture
def advocate_client(client, advocate):
    client.force_login(advocate)
    return client


@pytest.fixture
def manager_client(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on localhost; Django sends to it over SMTP."""
    sink = MailSink()
    with smtp_serving(sink, settings):
        yield sink


@pytest.fixture
def redis_url() -> str:
    """The Redis a real worker uses; without it the test skips (fails in CI)."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REDIS_URL is not set but REQUIRE_SERVICES=1")
        pytest.skip("needs Redis: set REDIS_URL (CI does)")
    return url


@pytest.fixture
def postgres():
    """For behaviour between database sessions (row locks, open transactions)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) when REQUIRE_SERVICES=1")
        pytest.skip("needs PostgreSQL between sessions: set DATABASE_URL (CI does)")
