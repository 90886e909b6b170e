"""The desk in the language each member of staff chose, on whichever device they sign in.

The choice is kept on the user (``StaffPreference``); at sign-in it is copied into the
session, so each request reads it without a query. Customers' pages set their own
language (``translation.override``) and are not affected: the staff language is only
activated for a signed-in user, and the public views override it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from cases.models import StaffPreference
from cases.services import set_staff_language

SESSION_KEY = "staff_language"
LANGUAGES = {code for code, _name in settings.LANGUAGES}


def saved_language(user: AbstractBaseUser) -> str | None:
    return StaffPreference.objects.filter(user=user).values_list("language", flat=True).first()


def remember_staff_language(
    sender: type, request: HttpRequest | None, user: AbstractBaseUser, **kwargs
) -> None:
    """On sign-in (``user_logged_in``): the saved language comes into the session; someone
    who never chose one keeps what they picked on the sign-in page, which is saved."""
    if request is None or not hasattr(request, "session"):
        return
    language = saved_language(user)
    if language is None:
        picked = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if picked in LANGUAGES:
            language = set_staff_language(user=user, language=picked).language
    request.session[SESSION_KEY] = language or ""


class StaffLanguageMiddleware:
    """After ``AuthenticationMiddleware``: a signed-in user's saved language wins over the
    browser's; the language cookie is brought in line so the sign-in page after logging
    out speaks it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        language = language or self._language(request)  # signed in by this very request
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

    @staticmethod
    def _language(request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if SESSION_KEY not in request.session:  # a session from before the choice existed
            request.session[SESSION_KEY] = saved_language(user) or ""
        language = request.session[SESSION_KEY]
        return language if language in LANGUAGES else None
