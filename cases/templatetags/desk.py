"""Template filters of the desk."""

from django import template

register = template.Library()


@register.filter
def person(user) -> str:
    """A staff member's name for the page; "—" when the user is gone (SET_NULL)."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()
