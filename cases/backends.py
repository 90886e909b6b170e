"""The desk's authentication backend: Django's ``ModelBackend``, with the user of each
request read together with their staff groups.

Every staff page asks whether the user is an advocate or a manager (``cases.auth``); with
the plain backend that is a second query after the user's, on every request. Here the user
comes with both answers in one query (two ``EXISTS``), cached where ``cases.auth`` looks.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef

from cases.models import ADVOCATES, MANAGERS

STAFF_GROUPS = (ADVOCATES, MANAGERS)


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()
        memberships = users.groups.through.objects.filter(user_id=OuterRef("pk"))
        flags = {f"in_{name}": Exists(memberships.filter(group__name=name))
                 for name in STAFF_GROUPS}
        try:
            user = users._default_manager.annotate(**flags).get(pk=user_id)
        except users.DoesNotExist:
            return None
        # What cases.auth.in_groups caches: the user's groups among the staff groups, the
        # only ones it is ever asked about.
        user._group_names = {name for name in STAFF_GROUPS if getattr(user, f"in_{name}")}
        return user if self.user_can_authenticate(user) else None
