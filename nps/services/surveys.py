"""Surveys: what managers set up (wording per language, audience, trigger, window, throttle,
expiry, reminder, rate) and the launch of a campaign."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nps.models import Survey

# What a manager may set; the rest (launched_at, created_by) is the desk's.
EDITABLE_FIELDS = (
    "name", "slug", "texts", "trigger", "delay_days", "segments", "value_tiers", "languages",
    "starts_at", "ends_at", "active", "throttle_days", "expiry_days", "reminder_days",
    "send_per_minute", "review_links",
)


def clean_texts(texts: dict) -> dict:
    """Wording with blanks trimmed and languages without any wording left out."""
    cleaned = {}
    for language, wording in (texts or {}).items():
        wording = {key: (value or "").strip() for key, value in (wording or {}).items()
                   if key in ("question", "follow_up")}
        if any(wording.values()):
            cleaned[language] = wording
    return cleaned


def _check(survey: Survey) -> None:
    """What the model cannot say alone: a reminder must come before the link expires."""
    if survey.reminder_days is not None and survey.reminder_days >= survey.expiry_days:
        raise ValidationError({"reminder_days": _(
            "Remind before the links expire (after %(days)s days).")
            % {"days": survey.expiry_days}})


def _apply(survey: Survey, fields: dict) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    if "texts" in fields:
        fields = {**fields, "texts": clean_texts(fields["texts"])}
    for name, value in fields.items():
        setattr(survey, name, value)


@transaction.atomic
def create_survey(*, actor: AbstractBaseUser | None, **fields: object) -> Survey:
    """A new survey; a campaign waits for its launch, an after-delivery survey starts
    inviting at its start."""
    survey = Survey(created_by=actor)
    _apply(survey, fields)
    survey.full_clean()
    _check(survey)
    survey.save()
    return survey


@transaction.atomic
def update_survey(*, survey: Survey, actor: AbstractBaseUser | None,
                  **fields: object) -> Survey:
    """Change a survey. Its trigger is fixed once it has invited anyone: the invitations
    already made were made under it."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    trigger = survey.trigger
    _apply(survey, fields)
    if survey.trigger != trigger and survey.invitations.exists():
        raise ValidationError({"trigger": _(
            "This survey has already invited customers: its trigger cannot change. "
            "Create a new survey instead.")})
    survey.full_clean()
    _check(survey)
    survey.save()
    return survey


@transaction.atomic
def launch_campaign(*, survey: Survey, actor: AbstractBaseUser | None) -> Survey:
    """Launch a campaign: its audience is invited now (after commit) rather than at the
    next scheduled run, and from then on by each run while the campaign is active."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.trigger != Survey.Trigger.CAMPAIGN:
        raise ValidationError(_("Only a campaign is launched; this survey invites after "
                                "deliveries."))
    if survey.launched_at is not None:
        raise ValidationError(_("This campaign was launched already."))
    now = timezone.now()
    if not survey.active:
        raise ValidationError(_("Activate the survey before launching it."))
    if survey.ends_at is not None and survey.ends_at <= now:
        raise ValidationError(_("The survey's active window has ended."))
    survey.launched_at = now
    survey.save(update_fields=["launched_at"])
    if survey.starts_at <= now:
        from nps import tasks

        transaction.on_commit(tasks.create_invitations.delay)
    return survey
