"""Brand advocates: promoters become candidates, staff confirm them, care actions keep them.

Mutual respect, the first of the six practices, means an advocate's problems are fixed
first: their open cases are raised to the top priority when they are confirmed and by a
beat task after that, through the desk's own ``override_priority`` (so the case timeline
says why), unless a person held the case's priority down by hand since.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services as desk
from cases.auth import in_groups
from cases.models import ADVOCATES, MANAGERS, Case, CaseEvent, Priority
from nps.models import AdvocateProfile, CareAction, Response
from nps.selectors.advocates import PROMOTER_SCORE, lagging_advocate_cases


def answer_recorded(*, response: Response, previous_score: int | None = None) -> None:
    """Called by ``answers.record_answer`` (in its transaction) after every answer or
    change of answer: a promoter becomes an advocate candidate, once. A profile already
    there (a candidate, an advocate, or one declined) stays as it is."""
    if response.score < PROMOTER_SCORE:
        return
    AdvocateProfile.objects.get_or_create(customer_id=response.customer_id,
                                          defaults={"since": timezone.now()})


def _check_staff(actor: AbstractBaseUser) -> None:
    if not in_groups(actor, ADVOCATES, MANAGERS):
        raise PermissionDenied(_("Only advocates and managers decide on brand advocates."))


def _locked_candidate(profile: AdvocateProfile) -> AdvocateProfile:
    profile = AdvocateProfile.objects.select_for_update().select_related("customer").get(
        pk=profile.pk)
    if profile.status != AdvocateProfile.Status.CANDIDATE:
        raise ValidationError(_("%(customer)s is no longer a candidate: %(status)s.") % {
            "customer": profile.customer.name,
            "status": profile.get_status_display().lower()})
    return profile


@transaction.atomic
def confirm_advocate(*, profile: AdvocateProfile, actor: AbstractBaseUser,
                     note: str = "") -> AdvocateProfile:
    """A manager or advocate makes a candidate a brand advocate; their open cases come
    first from now on."""
    _check_staff(actor)
    profile = _locked_candidate(profile)
    profile.status = AdvocateProfile.Status.CONFIRMED
    profile.confirmed_at, profile.confirmed_by = timezone.now(), actor
    if note.strip():
        profile.note = note.strip()
    profile.full_clean()
    profile.save()
    raise_advocate_cases(customer_id=profile.customer_id)
    return profile


@transaction.atomic
def decline_advocate(*, profile: AdvocateProfile, actor: AbstractBaseUser,
                     note: str = "") -> AdvocateProfile:
    """Not someone to cultivate as an advocate (a competitor, a reseller, a one-off): the
    profile stays declined, later promoter answers do not make them a candidate again."""
    _check_staff(actor)
    profile = _locked_candidate(profile)
    profile.status = AdvocateProfile.Status.DECLINED
    profile.declined_at, profile.declined_by = timezone.now(), actor
    if note.strip():
        profile.note = note.strip()
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def add_care_action(*, advocate: AdvocateProfile, practice: str, description: str,
                    actor: AbstractBaseUser, done_on: dt.date | None = None,
                    case: Case | None = None) -> CareAction:
    """Record something done to keep a brand advocate: one of the six practices, when, by
    whom and what. A care action about one of their cases is noted in its timeline too."""
    _check_staff(actor)
    advocate = AdvocateProfile.objects.select_related("customer").get(pk=advocate.pk)
    errors: dict[str, str] = {}
    if advocate.status != AdvocateProfile.Status.CONFIRMED:
        errors["__all__"] = _("Confirm %(customer)s as a brand advocate first.") % {
            "customer": advocate.customer.name}
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate():
        errors["done_on"] = _("A care action is recorded once it is done: the date cannot "
                              "be in the future.")
    if case is not None and case.customer_id != advocate.customer_id:
        errors["case"] = _("That case is another customer's.")
    action = CareAction(advocate=advocate, practice=practice, done_on=done_on,
                        description=(description or "").strip(), actor=actor, case=case)
    try:
        action.full_clean()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, " ".join(messages))
    if errors:
        raise ValidationError(errors)
    action.save()
    if case is not None:
        desk.add_note(case=case, actor=actor, text=_("Care action for a brand advocate "
                                                      "(%(practice)s): %(what)s") % {
            "practice": action.get_practice_display().lower(), "what": action.description})
    return action


def raise_advocate_cases(*, customer_id: int | None = None) -> int:
    """Raise every open case of a brand advocate that is not top priority to urgent (only
    ``customer_id``'s, when given), each through the desk's ``override_priority`` with the
    reason in its timeline. Cases a person held down by hand since the customer became an
    advocate are left to them (the Advocates page shows them as a care gap). Safe to run
    twice or in two workers at once: each case is re-read under its lock. Returns how many
    cases were raised."""
    cases = lagging_advocate_cases()
    if customer_id is not None:
        cases = cases.filter(customer_id=customer_id)
    raised = 0
    reason = _("Brand advocate: their problems come first (mutual respect), so this case "
               "is raised to the top priority.")
    label = _("Brand advocates")
    for pk in list(cases.values_list("pk", flat=True)):
        with transaction.atomic():
            case = lagging_advocate_cases().select_for_update(of=("self",)).filter(pk=pk).first()
            if case is None:  # raised, resolved or held by hand meanwhile
                continue
            desk.override_priority(case=case, priority=Priority.URGENT, reason=reason,
                                   actor=None, actor_kind=CaseEvent.ActorKind.SYSTEM,
                                   actor_label=label)
            raised += 1
    return raised


@transaction.atomic
def mark_followed_up(*, response: Response, actor: AbstractBaseUser, note: str = "") -> Response:
    """Someone called the passive back: the flag is cleared, with who, when and what came
    of it."""
    _check_staff(actor)
    response = Response.objects.select_for_update(of=("self",)).get(pk=response.pk)
    if not response.follow_up:
        raise ValidationError(_("This answer is not waiting for a follow-up."))
    response.follow_up = False
    response.followed_up_at, response.followed_up_by = timezone.now(), actor
    response.follow_up_note = (note or "").strip()
    response.full_clean()
    response.save(update_fields=["follow_up", "followed_up_at", "followed_up_by",
                                 "follow_up_note"])
    return response
