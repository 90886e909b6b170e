"""Who may see what: staff pages need a login and one of the staff groups."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from cases.models import ADVOCATES, MANAGERS


def in_groups(user: AbstractBaseUser | AnonymousUser, *groups: str) -> bool:
    """Whether the user is in one of the staff ``groups``, from what ``StaffBackend`` read
    with the user (else one query, cached on the user for the request)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not set(groups) <= {ADVOCATES, MANAGERS}:
        raise ValueError(f"in_groups knows the staff groups only, not {groups}")
    names = getattr(user, "_group_names", None)
    if names is None:
        names = set(user.groups.filter(name__in=[ADVOCATES, MANAGERS])
                    .values_list("name", flat=True))
        user._group_names = names
    return bool(names.intersection(groups))


def is_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    return in_groups(user, MANAGERS)


def group_required(*groups: str) -> Callable:
    """Send anonymous users to the login page; answer 403 to staff outside these groups."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not in_groups(request.user, *groups):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorator


staff_required = group_required(ADVOCATES, MANAGERS)
manager_required = group_required(MANAGERS)
