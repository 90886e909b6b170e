"""The staff groups and what each may do."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db.models import Q

from cases.models import (
    ADVOCATES,
    MANAGERS,
    StaffPreference,
)

GROUP_PERMISSIONS: dict[str, list[str]] = {
    ADVOCATES: [
        "cases.view_customer",
        "cases.change_customer",
        "cases.view_order",
        "cases.view_shipmentevent",
        "cases.add_orderimport",
        "cases.view_orderimport",
        "cases.view_department",
        "cases.view_team",
        "cases.view_case",
        "cases.view_caseevent",
        "cases.view_remedy",
        "cases.view_contact",
        "cases.view_slatarget",
        "cases.view_riskrule",
        "cases.view_rulerun",
    ],
    MANAGERS: [
        "cases.view_case",
        "cases.view_caseevent",
        "cases.view_remedy",
        "cases.view_contact",
        "cases.view_outboundemail",
        "cases.view_slatarget",
        "cases.change_slatarget",
        "cases.view_desksettings",
        "cases.change_desksettings",
        "cases.view_customer",
        "cases.add_customer",
        "cases.change_customer",
        "cases.view_order",
        "cases.add_order",
        "cases.change_order",
        "cases.view_shipmentevent",
        "cases.add_orderimport",
        "cases.view_orderimport",
        "cases.view_apikey",
        "cases.add_apikey",
        "cases.change_apikey",
        "cases.view_department",
        "cases.add_department",
        "cases.change_department",
        "cases.delete_department",
        "cases.view_team",
        "cases.add_team",
        "cases.change_team",
        "cases.delete_team",
        "cases.add_teammembership",
        "cases.change_teammembership",
        "cases.delete_teammembership",
        "cases.view_riskrule",
        "cases.change_riskrule",
        "cases.view_rulerun",
        "cases.view_risksignal",
    ],
}


def sync_staff_groups() -> None:
    """Create the staff groups and give them exactly their permissions (idempotent)."""
    for group_name, names in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        query = Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))



def set_staff_language(*, user: AbstractBaseUser, language: str) -> StaffPreference:
    """Keep the language a member of staff chose with them, so every device they sign in
    on shows the desk in it (the language cookie only remembers one browser)."""
    preference = StaffPreference(user=user, language=language)
    preference.full_clean(exclude=["user"], validate_unique=False)
    preference, _created = StaffPreference.objects.update_or_create(
        user=user, defaults={"language": language},
    )
    return preference
