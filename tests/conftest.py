"""Fixtures shared by every test package."""

import pytest

from advocacy.celery import app as celery_app


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
