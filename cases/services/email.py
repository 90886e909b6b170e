"""Telling the customer: drafts in their language, sent once by a worker, kept in the timeline."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import tasks
from cases.display import staff_name
from cases.models import Case, CaseEvent, OutboundEmail, Remedy, Team
from cases.services.desk import _event, _locked, record_first_response
from cases.services.pending import register_pending_work, requeue_waiting

TEMPLATES = {
    "late_delivery": gettext_lazy("Your order is late: what we are doing"),
    "remedy": gettext_lazy("What we are doing to make it right"),
    "update": gettext_lazy("An update on your case"),
    "resolved": gettext_lazy("Your case is resolved"),
}
# Sent by the risk engine, never chosen by hand: it needs the rule's ``situation``.
AUTOMATIC_TEMPLATES = {"proactive"}
LANGUAGES = {"en", "it", "nb", "ro"}


def customer_language(code: str) -> str:
    """The language we write to a customer in: theirs when we ship it, else English."""
    return code if code in LANGUAGES else "en"
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class EmailDraft:
    subject: str
    body: str
    language: str
    to: str
    reply_to: str


def customer_email_templates() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in TEMPLATES.items()]


def _reply_to(case: Case) -> str:
    if case.team and case.team.email:
        return case.team.email
    team = Team.objects.filter(kind=Team.Kind.ADVOCACY).exclude(email="").first()
    return team.email if team else ""


def draft_customer_email(
    *, case: Case, template: str, actor: AbstractBaseUser | None = None,
    extra: dict | None = None,
) -> EmailDraft:
    """The chosen template filled in for this case, in the customer's language."""
    if template not in TEMPLATES and template not in AUTOMATIC_TEMPLATES:
        raise ValidationError({"template": _("Choose one of the email templates.")})
    language = customer_language(case.customer.language)
    sender = actor or case.owner
    team = case.team or Team.objects.filter(kind=Team.Kind.ADVOCACY).first()
    remedies = case.remedies.filter(
        decision__in=[Remedy.Decision.APPROVED, Remedy.Decision.NOT_NEEDED]
    )
    context = {
        "customer_name": case.customer.name,
        "case_number": case.pk,
        "order_refs": ", ".join(case.orders.values_list("external_ref", flat=True)),
        "remedies": [remedy.summary for remedy in remedies],
        "advocate_name": staff_name(sender) if sender else "",
        "team_name": team.name if team else "",
        **(extra or {}),
    }
    with translation.override(language):
        text = render_to_string(f"cases/emails/{template}/{language}.txt", context)
    subject, _newline, body = text.partition("\n")
    return EmailDraft(subject=subject.strip(), body=body.strip(), language=language,
                      to=case.customer.email, reply_to=_reply_to(case))


@transaction.atomic
def notify_customer(
    *, case: Case, actor: AbstractBaseUser, subject: str, body: str,
    expected_version: int | None = None,
) -> OutboundEmail:
    """Queue the email; a worker sends it after commit and the timeline records it then."""
    case = _locked(case, expected_version)
    errors = {}
    if not case.customer.email:
        errors["__all__"] = _("This customer has no email address.")
    if not subject.strip():
        errors["subject"] = _("Write a subject.")
    if not body.strip():
        errors["body"] = _("Write the message.")
    if errors:
        raise ValidationError(errors)
    language = customer_language(case.customer.language)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    email = OutboundEmail.objects.create(
        case=case, to=case.customer.email, reply_to=_reply_to(case), language=language,
        subject=subject.strip()[:200], body=body.strip(), created_by=actor,
        message_id=f"<case-{case.pk}.{secrets.token_hex(12)}@{domain}>",
    )
    transaction.on_commit(lambda: tasks.send_customer_email.delay(email_id=email.pk))
    return email


def claim_email(*, email_id: int) -> OutboundEmail | None:
    now = timezone.now()
    claimed = OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.PENDING)
    if not claimed.update(status=OutboundEmail.Status.SENDING, claimed_at=now):
        return None
    return OutboundEmail.objects.select_related("case").get(pk=email_id)


def send_customer_email(*, email_id: int) -> OutboundEmail | None:
    """Send a queued email once. Returns None when another worker has it or it is done.

    A refused connection leaves it queued for a retry (raised to the task); after
    MAX_ATTEMPTS it is marked not sent, and the timeline says so.
    """
    email = claim_email(email_id=email_id)
    if email is None:
        return None
    html = render_to_string("cases/emails/message.html", {
        "language": email.language, "subject": email.subject, "body": email.body,
    })
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.body, to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"Message-ID": email.message_id, "Content-Language": email.language},
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except OSError as error:
        _sending_failed(email, error)
        raise
    with transaction.atomic():
        email.status, email.sent_at = OutboundEmail.Status.SENT, timezone.now()
        email.attempts += 1
        email.save(update_fields=["status", "sent_at", "attempts"])
        _event(email.case, CaseEvent.Kind.EMAIL, email.created_by, message=email.body, data={
            "email": email.pk, "subject": email.subject, "to": email.to,
            "language": email.language,
        })
        record_first_response(case=email.case, at=email.sent_at)
    return email


def _sending_failed(email: OutboundEmail, error: Exception) -> None:
    email.attempts += 1
    email.failure = f"{type(error).__name__}: {error}"[:2000]
    give_up = email.attempts >= MAX_ATTEMPTS
    email.status = OutboundEmail.Status.FAILED if give_up else OutboundEmail.Status.PENDING
    email.enqueued_at = timezone.now()
    email.save(update_fields=["attempts", "failure", "status", "enqueued_at"])
    if give_up:
        _event(email.case, CaseEvent.Kind.EMAIL, None, actor_kind=CaseEvent.ActorKind.SYSTEM,
               message=_("The email “%(subject)s” could not be sent: %(error)s")
               % {"subject": email.subject, "error": email.failure},
               data={"email": email.pk, "failed": True})


@register_pending_work("customer emails")
def requeue_stale_emails() -> int:
    """Queued emails whose nudge was lost go out again; one interrupted mid-send is not
    resent blindly (the customer may have it): it is marked for a person to check."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PENDING_WORK_STALE_AFTER)
    lost = now - timedelta(seconds=settings.RUNNING_WORK_TIMEOUT)
    OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING, claimed_at__lt=lost).update(
        status=OutboundEmail.Status.FAILED,
        failure="Interrupted while sending: check with the customer before sending again.",
    )
    waiting = Q(status=OutboundEmail.Status.PENDING, enqueued_at__lt=stale)
    return requeue_waiting(OutboundEmail, waiting,
                           lambda pk: tasks.send_customer_email.delay(email_id=pk),
                           enqueued_at=now)
