"""Signing in: staff pages need a login; guessing passwords is slowed down."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def test_login_with_right_password_opens_the_desk(client):
    get_user_model().objects.create_user("ada", password="a-long-pass-phrase")

    response = client.post(reverse("login"), {"username": "ada", "password": "a-long-pass-phrase"})

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:queue")


def test_wrong_password_is_refused_without_saying_which_part(client):
    get_user_model().objects.create_user("ada", password="a-long-pass-phrase")

    response = client.post(reverse("login"), {"username": "ada", "password": "nope"})

    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


def test_repeated_login_attempts_get_429(client, settings):
    settings.LOGIN_RATE = "3/m"
    for _ in range(3):
        assert client.post(reverse("login"), {"username": "x", "password": "y"}).status_code == 200

    response = client.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Too many attempts" in response.content.decode()
    assert client.get(reverse("login")).status_code == 200  # reading the page stays open


def test_managers_reach_the_admin_for_departments_and_teams(client):
    from django.contrib.auth.models import Group

    from cases.models import ADVOCATES, MANAGERS

    manager = get_user_model().objects.create_user("m", password="a-long-pass-phrase")
    manager.groups.add(Group.objects.get(name=MANAGERS))
    advocate = get_user_model().objects.create_user("a", password="a-long-pass-phrase")
    advocate.groups.add(Group.objects.get(name=ADVOCATES))

    client.force_login(manager)
    assert client.get("/admin/cases/team/").status_code == 200
    assert client.get("/admin/cases/department/add/").status_code == 200
    client.force_login(advocate)
    assert client.get("/admin/cases/team/").status_code == 302  # to the admin login
