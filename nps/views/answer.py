"""The public answer pages: no login, the token in the link is the only key.

Every page is rate-limited per IP address, never cached, closed to other sites' frames,
scripts and fonts (a strict Content-Security-Policy: the pages use none), kept out of
search engines, and rendered in the customer's language. A link that leads nowhere gets
one friendly page that says nothing about why or whose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from nps.models import MAX_COMMENT_CHARS, Invitation
from nps.services import answers

CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
ONE_CLICK = "One-Click"  # RFC 8058: the body a mail client POSTs is List-Unsubscribe=One-Click


def _is_one_click(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get("List-Unsubscribe") == ONE_CLICK


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Rate limit per IP (one-click unsubscribes from mail providers count apart), then the
    headers every public page carries."""
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        group, rate = ("nps-public", settings.NPS_ANSWER_RATE)
        if _is_one_click(request):
            group, rate = ("nps-one-click", settings.NPS_ONE_CLICK_RATE)
        if is_ratelimited(request, group=group, key="ip", rate=rate, increment=True):
            response = render(request, "nps/answer/rate_limited.html", status=429)
            response["Retry-After"] = "60"
        else:
            response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        # The token is in the address: other requests name only our origin (not no-referrer,
        # which makes the browser send "Origin: null" and fail the form's CSRF check).
        response["Referrer-Policy"] = "strict-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(wrapped)


def _unavailable(request: HttpRequest, error: answers.LinkUnavailable) -> HttpResponse:
    """In the browser's language: which customer the link was for is not ours to say."""
    return render(request, "nps/answer/unavailable.html", status=410 if error.gone else 404)


def _in_language(invitation: Invitation, build: Callable[[], HttpResponse]) -> HttpResponse:
    language = answers.page_language(invitation)
    with translation.override(language):
        response = build()
    response["Content-Language"] = language
    return response


def _long_date(value: dt.datetime | None) -> str:
    """"31 December 2026" in the active language; Italian and Romanian write their months
    in lowercase (Django's month names are capitalised)."""
    if value is None:
        return ""
    language = translation.get_language()
    text = dateformat.format(timezone.localtime(value), "j. F Y" if language == "nb" else "j F Y")
    return text.lower() if language in ("it", "ro") else text


def _score(value: str | None) -> int | None:
    try:
        return int(value) if value is not None and value.strip().isdigit() else None
    except ValueError:
        return None


@public_page
@require_http_methods(["GET", "POST"])
def answer_page(request: HttpRequest, token: str, score: int) -> HttpResponse:
    """GET: the page with ``score`` selected (records nothing); POST: save the answer."""
    try:
        if request.method == "GET":
            invitation = answers.open_invitation(token=token)
            form = {"score": score if 0 <= score <= 10 else None, "errors": {},
                    "comment": getattr(answers.current_answer(invitation), "comment", "")}
        else:
            invitation = answers.invitation_for_token(token=token)
            form = {"score": _score(request.POST.get("score")), "errors": {},
                    "comment": request.POST.get("comment", "")}
            with translation.override(answers.page_language(invitation)):
                answers.record_answer(invitation=invitation, score=form["score"],
                                      comment=form["comment"])
            return redirect("nps:answer-thanks", token=token)
    except answers.LinkUnavailable as error:
        return _unavailable(request, error)
    except ValidationError as error:
        form["errors"] = error.message_dict
    return _in_language(invitation, lambda: render(
        request, "nps/answer/answer.html", _answer_context(invitation, token, form)))


def _answer_context(invitation: Invitation, token: str, form: dict) -> dict:
    language = answers.page_language(invitation)
    answer = answers.current_answer(invitation)
    return {
        "invitation": invitation, "token": token, "wording": invitation.survey.wording(language),
        "scores": range(11), "chosen": form["score"], "comment": form["comment"],
        "errors": form["errors"], "answer": answer, "max_comment": MAX_COMMENT_CHARS,
        "answered_on": _long_date(answer.answered_at if answer else None),
        "expires_on": _long_date(answers.expires_at(invitation)),
    }


@public_page
@require_GET
def thanks_page(request: HttpRequest, token: str) -> HttpResponse:
    """After saving: thanks, the answer as kept, and for promoters the review pages."""
    try:
        invitation = answers.invitation_for_token(token=token)
    except answers.LinkUnavailable as error:
        return _unavailable(request, error)
    answer = answers.current_answer(invitation)
    if answer is None:
        return _unavailable(request, answers.LinkUnavailable())
    return _in_language(invitation, lambda: render(request, "nps/answer/thanks.html", {
        "token": token, "answer": answer, "review_links": answers.review_links(response=answer),
        "expires_on": _long_date(answers.expires_at(invitation))}))


@csrf_exempt  # RFC 8058: the mail client POSTs without our form; this POST only unsubscribes
@public_page
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET: one button; POST (also RFC 8058 one-click from the mail client): consent off.
    Links work after they expire for answering."""
    try:
        invitation = answers.invitation_for_token(token=token, answering=False)
    except answers.LinkUnavailable as error:
        return _unavailable(request, error)
    if request.method == "POST":
        answers.unsubscribe(invitation=invitation)
        if not _is_one_click(request):
            return redirect("nps:unsubscribe", token=token)
    return _in_language(invitation, lambda: render(request, "nps/answer/unsubscribe.html", {
        "token": token, "unsubscribed": not invitation.customer.email_consent}))
