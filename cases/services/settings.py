"""The desk's settings managers edit: the approval threshold and the SLA targets."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.auth import is_manager
from cases.models import DeskSettings, Priority, SlaTarget


@transaction.atomic
def update_desk_settings(
    *, actor: AbstractBaseUser, approval_threshold: Decimal, approval_currency: str,
    sla_hours: Mapping[int, tuple[int, int]],
) -> DeskSettings:
    """Set the threshold above which a manager decides a remedy, and per priority the hours
    to the first response and to resolution: ``{priority: (first_response, resolution)}``.

    New targets apply to cases opened or re-prioritised from now on; cases keep the due
    dates they were promised.
    """
    if not is_manager(actor):
        raise PermissionDenied(_("Only a manager changes the desk's settings."))
    desk = DeskSettings.objects.select_for_update().get_or_create(pk=1)[0]
    desk.approval_threshold = approval_threshold
    desk.approval_currency = approval_currency.strip().upper()
    desk.full_clean()
    errors: dict[str, str] = {}
    for priority in Priority:
        first_response, resolution = sla_hours[priority.value]
        if resolution < first_response:
            errors[f"resolution_hours_{priority.value}"] = _(
                "Resolving cannot be due before the first response."
            )
    if errors:
        raise ValidationError(errors)
    desk.save()
    for priority in Priority:
        first_response, resolution = sla_hours[priority.value]
        SlaTarget.objects.update_or_create(
            priority=priority.value,
            defaults={"first_response_hours": first_response, "resolution_hours": resolution},
        )
    return desk
