"""Telling the customer: a draft in their language, sent once over real SMTP, in the timeline."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases import services
from cases.models import Case, CaseEvent, OutboundEmail, Team
from tests.cases.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def advocate():
    return UserFactory.advocate(username="ada", first_name="Ada", last_name="Rossi")


def open_case(advocate, *, language="it", email="giulia@example.com") -> Case:
    Team.objects.create(name="Customer Advocacy", kind=Team.Kind.ADVOCACY,
                        email="advocacy@desk.example")
    customer = CustomerFactory(name="Giulia Bianchi", language=language, email=email)
    order = OrderFactory(customer=customer, external_ref="SO-77")
    return services.open_case(customer=customer, origin="manual", kind="late_delivery",
                              title="Oven late", orders=[order], actor=advocate, owner=advocate)


@pytest.mark.parametrize(
    ("language", "subject_start", "greeting"),
    [("it", "Il suo ordine SO-77", "Gentile Giulia Bianchi"),
     ("nb", "Bestillingen din SO-77", "Hei Giulia Bianchi"),
     ("ro", "Comanda dumneavoastră SO-77", "Stimate/Stimată Giulia Bianchi"),
     ("en", "Your order SO-77", "Dear Giulia Bianchi")],
)
def test_draft_is_in_the_customers_language(advocate, language, subject_start, greeting):
    case = open_case(advocate, language=language)

    draft = services.draft_customer_email(case=case, template="late_delivery", actor=advocate)

    assert draft.subject.startswith(subject_start)
    assert draft.body.startswith(greeting)
    assert "Ada Rossi" in draft.body
    assert (draft.to, draft.reply_to, draft.language) == (
        "giulia@example.com", "advocacy@desk.example", language)


def test_every_template_exists_in_every_language(advocate):
    case = open_case(advocate)
    for language in ("en", "it", "nb", "ro"):
        case.customer.language = language
        for key, _label in services.customer_email_templates():
            draft = services.draft_customer_email(case=case, template=key)
            assert draft.subject and draft.body and "{{" not in draft.body


def test_email_is_sent_over_smtp_once_and_lands_in_the_timeline(
    advocate, smtp_server, django_capture_on_commit_callbacks
):
    case = open_case(advocate)
    draft = services.draft_customer_email(case=case, template="late_delivery", actor=advocate)

    with django_capture_on_commit_callbacks(execute=True):
        email = services.notify_customer(case=case, actor=advocate, subject=draft.subject,
                                         body=draft.body + "\n<script>alert(1)</script>")

    [message] = smtp_server.messages
    assert message["To"] == "giulia@example.com"
    assert message["Reply-To"] == "advocacy@desk.example"
    assert message["Subject"].strip().startswith("Il suo ordine SO-77 è in ritardo")
    assert message["Content-Language"] == "it"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "<script>alert(1)</script>" in plain
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert 'lang="it"' in html

    assert services.send_customer_email(email_id=email.pk) is None  # a retry sends nothing
    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    case.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert case.first_response_at == email.sent_at
    event = case.events.get(kind=CaseEvent.Kind.EMAIL)
    assert event.data["subject"] == message["Subject"].strip()


def test_unreachable_smtp_keeps_the_email_queued_then_the_sweeper_sends_it(
    advocate, smtp_server, settings, django_capture_on_commit_callbacks
):
    case = open_case(advocate)
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # nothing listens: connection refused
    with django_capture_on_commit_callbacks():
        email = services.notify_customer(case=case, actor=advocate, subject="Hi", body="Hello")
    with pytest.raises(OSError):
        services.send_customer_email(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 1)
    assert "Connection" in email.failure or "refused" in email.failure

    settings.EMAIL_PORT = port
    settings.PENDING_WORK_STALE_AFTER = -1
    services.sweep_pending_work()

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(smtp_server.messages) == 1


def test_customer_without_email_cannot_be_emailed(advocate):
    case = open_case(advocate, email="")

    with pytest.raises(ValidationError, match="no email address"):
        services.notify_customer(case=case, actor=advocate, subject="Hi", body="Hello")
