"""Rendering a page or, for htmx, only the fragment it asked for."""

from django.http import HttpRequest


def wants_fragment(request: HttpRequest) -> bool:
    """htmx swaps a fragment; a history restore (back button, cache miss) needs the page."""
    return bool(request.htmx) and not request.htmx.history_restore_request
