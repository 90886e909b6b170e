"""Staff choose the desk's language in the header (or on the sign-in page); the choice is
kept on them, so it follows them to every device they sign in on. Customers' pages keep
the customer's language whatever the staff member's."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from cases.models import StaffPreference
from tests.cases.factories import PASSWORD, UserFactory
from tests.nps.test_answers import answer_url, invite

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def sign_in(client: Client, username: str):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def test_the_header_offers_the_four_languages_each_named_in_itself(manager_client):
    html = manager_client.get(reverse("cases:queue")).content.decode()

    menu = html[html.index('data-testid="language-menu"') :]
    menu = menu[: menu.index("</details>")]
    assert f'action="{reverse("cases:language")}"' in menu
    names = re.findall(r'name="language" value="(\w+)" lang="\1"[^>]*>([^<]+)</button>', menu)
    assert names == [
        ("en", "English"),
        ("it", "Italiano"),
        ("nb", "Norsk bokmål"),
        ("ro", "Română"),
    ]
    assert 'value="/cases/"' in menu  # back to this page afterwards


def test_choosing_italian_saves_it_on_the_user_and_shows_the_desk_in_italian(
    manager_client, manager
):
    response = manager_client.post(
        reverse("cases:language"), {"language": "it", "next": "/customers/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert response.cookies[COOKIE].value == "it"
    assert StaffPreference.objects.get(user=manager).language == "it"
    page = manager_client.get(reverse("cases:customers"))
    assert page["Content-Language"] == "it"
    assert html_lang(page) == "it"


def test_the_saved_language_follows_the_user_to_another_device(manager):
    laptop = Client()
    sign_in(laptop, manager.username)
    laptop.post(reverse("cases:language"), {"language": "nb", "next": "/cases/"})

    phone = Client(headers={"accept-language": "en"})  # a new browser, no cookie
    signed_in = sign_in(phone, manager.username)

    assert signed_in.status_code == 302
    assert signed_in.cookies[COOKIE].value == "nb"  # the sign-in response sets it
    page = phone.get(reverse("cases:queue"))
    assert page["Content-Language"] == "nb"
    assert html_lang(page) == "nb"


def test_the_saved_language_wins_over_an_old_cookie_in_the_browser(manager):
    StaffPreference.objects.create(user=manager, language="ro")
    browser = Client()
    browser.cookies[COOKIE] = "it"

    sign_in(browser, manager.username)

    assert html_lang(browser.get(reverse("cases:queue"))) == "ro"
    assert browser.cookies[COOKIE].value == "ro"


def test_a_language_picked_on_the_sign_in_page_is_saved_for_someone_who_never_chose(
    manager,
):
    browser = Client()
    login_page = browser.get(reverse("login"))
    assert 'data-testid="language-menu"' in login_page.content.decode()

    picked = browser.post(reverse("cases:language"), {"language": "ro", "next": "/accounts/login/"})
    assert picked.status_code == 302
    assert not StaffPreference.objects.exists()  # nobody signed in yet
    assert html_lang(browser.get(reverse("login"))) == "ro"

    sign_in(browser, manager.username)

    assert StaffPreference.objects.get(user=manager).language == "ro"
    assert html_lang(browser.get(reverse("cases:queue"))) == "ro"


def test_an_unknown_language_is_ignored(manager_client, manager):
    response = manager_client.post(reverse("cases:language"), {"language": "xx", "next": "/"})

    assert response.status_code == 302
    assert not StaffPreference.objects.exists()
    assert html_lang(manager_client.get(reverse("cases:queue"))) == "en"


def test_choosing_a_language_needs_a_post(manager_client):
    assert manager_client.get(reverse("cases:language"), {"language": "it"}).status_code == 405


def test_someone_outside_the_staff_groups_sets_only_the_cookie():
    outsider = UserFactory(username="olga.outsider")
    client = Client()
    client.force_login(outsider)

    response = client.post(reverse("cases:language"), {"language": "it", "next": "/"})

    assert response.cookies[COOKIE].value == "it"
    assert not StaffPreference.objects.exists()


def test_the_customers_answer_page_keeps_the_customers_language(manager_client, manager):
    manager_client.post(reverse("cases:language"), {"language": "it", "next": "/"})
    _invitation, token = invite(language="nb")

    page = manager_client.get(answer_url(token, 8))  # a staff member opening the link

    assert page.status_code == 200
    assert page["Content-Language"] == "nb"
    assert html_lang(page) == "nb"
