"""Fixtures shared by every test package."""

import pytest
from django.test import Client

from advocacy.celery import app as celery_app
from tests.cases.factories import UserFactory


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
