"""The public answer pages: no login, the token in the link is the only key."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def answer_page(request: HttpRequest, token: str, score: int) -> HttpResponse:
    """GET: the page with ``score`` selected (records nothing); POST: save the answer."""
    raise Http404


def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET: one button; POST (also RFC 8058 one-click from the mail client): consent off."""
    raise Http404
