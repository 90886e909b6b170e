"""NPS: surveys, the invitations emailed to customers, their answers, and the brand
advocates the company cultivates among its promoters.

The Net Promoter Score asks one question on a 0-10 scale: promoters answer 9-10, passives
7-8, detractors 0-6; NPS = % promoters - % detractors.

An invitation is pending work in the database: created by a set-based scan (after a
delivery, or a campaign), claimed by one worker, which makes its token (only the token's
SHA-256 is stored), sends the email and marks it sent. The customer answers from the
link without logging in; the token names one invitation and nothing else.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Case, Customer, Order

LANGUAGES = ("en", "it", "nb", "ro")
MAX_COMMENT_CHARS = 2000


class Category(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")


def category_of(score: int) -> str:
    """9-10 promoter, 7-8 passive, 0-6 detractor."""
    if score >= 9:
        return Category.PROMOTER
    if score >= 7:
        return Category.PASSIVE
    return Category.DETRACTOR


class Survey(models.Model):
    """One NPS survey: its wording per language, who is asked, when, and how often."""

    class Trigger(models.TextChoices):
        AFTER_DELIVERY = "after_delivery", _("Days after an order is delivered")
        CAMPAIGN = "campaign", _("One-off campaign to an audience")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    # {"en": {"question": "...", "follow_up": "..."}, "it": {...}, ...}; English is required
    # and stands in for a language without its own wording.
    texts = models.JSONField(_("question and follow-up per language"), default=dict)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger,
                               default=Trigger.AFTER_DELIVERY)
    delay_days = models.PositiveSmallIntegerField(
        _("days after delivery"), default=7, validators=[MaxValueValidator(365)])
    # The audience: empty means everyone.
    segments = models.JSONField(_("segments"), default=list, blank=True)
    value_tiers = models.JSONField(_("value tiers"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    starts_at = models.DateTimeField(_("active from"), default=timezone.now)
    ends_at = models.DateTimeField(_("active until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    throttle_days = models.PositiveSmallIntegerField(
        _("ask a customer at most once in (days)"), default=90,
        help_text=_("Across all surveys: a customer asked by any survey in this many days "
                    "is not asked again."))
    expiry_days = models.PositiveSmallIntegerField(
        _("links expire after (days)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)])
    reminder_days = models.PositiveSmallIntegerField(
        _("remind after (days)"), null=True, blank=True,
        help_text=_("One reminder to those who have not answered; empty for none."))
    send_per_minute = models.PositiveIntegerField(
        _("emails per minute"), default=600, validators=[MinValueValidator(1)])
    # [{"label": "Trustpilot", "url": "https://..."}]: offered to promoters after answering.
    review_links = models.JSONField(_("public review pages"), default=list, blank=True)
    launched_at = models.DateTimeField(_("campaign launched"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        texts = self.texts or {}
        unknown = sorted(set(texts) - set(LANGUAGES))
        if unknown:
            errors["texts"] = _("Unknown languages: %(codes)s.") % {"codes": ", ".join(unknown)}
        elif not (texts.get("en") or {}).get("question", "").strip():
            errors["texts"] = _("Write the question in English: it stands in for the other "
                                "languages.")
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The survey must end after it starts.")
        bad_languages = sorted(set(self.languages or []) - set(LANGUAGES))
        if bad_languages:
            errors["languages"] = _("Unknown languages: %(codes)s.") % {
                "codes": ", ".join(bad_languages)}
        for link in self.review_links or []:
            url = str((link or {}).get("url", ""))
            if not url.startswith(("https://", "http://")):
                errors["review_links"] = _("Each review page needs a web address "
                                           "(https://…).")
                break
        if errors:
            raise ValidationError(errors)

    def wording(self, language: str) -> dict[str, str]:
        """The question and follow-up in ``language``, English where it has none."""
        english = (self.texts or {}).get("en") or {}
        own = (self.texts or {}).get(language) or {}
        return {key: (own.get(key) or "").strip() or (english.get(key) or "").strip()
                for key in ("question", "follow_up")}


class Invitation(models.Model):
    """One customer asked by one survey: emailed once, answered at most once (the answer
    may change until the link expires)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Sending")
        SENT = "sent", pgettext_lazy("invitation status", "Sent")
        FAILED = "failed", _("Not sent")
        SUPPRESSED = "suppressed", _("Not sent: no consent")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,
                                 related_name="nps_invitations")
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="nps_invitations")
    language = models.CharField(_("language"), max_length=5)
    status = models.CharField(_("status"), max_length=12, choices=Status,
                              default=Status.PENDING)
    reason = models.CharField(_("why not sent"), max_length=200, blank=True)
    # SHA-256 of the token in the email's links (and of the reminder's, which has its own).
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    reminder_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    enqueued_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # After a delivery: one invitation per order and survey.
            models.UniqueConstraint(fields=["survey", "order"], condition=Q(order__isnull=False),
                                    name="nps_invitation_order_unique"),
            # A campaign asks each customer once.
            models.UniqueConstraint(fields=["survey", "customer"],
                                    condition=Q(order__isnull=True),
                                    name="nps_invitation_campaign_unique"),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="nps_invitation_customer_idx"),
            models.Index(fields=["status", "enqueued_at"], name="nps_invitation_pending_idx",
                         condition=Q(status__in=["pending", "sending"])),
            models.Index(fields=["survey", "status"], name="nps_invitation_survey_idx"),
            # The dispatcher's rate window: what a survey handed out in the last minute.
            models.Index(fields=["survey", "claimed_at"], name="nps_invitation_claimed_idx",
                         condition=Q(claimed_at__isnull=False)),
            # Reminders still due: sent, not answered, not reminded.
            models.Index(fields=["survey", "sent_at"], name="nps_invitation_remind_idx",
                         condition=Q(status="sent", answered_at__isnull=True,
                                     reminded_at__isnull=True,
                                     reminder_token_hash__isnull=True)),
            # The response-rate tallies: the months whose invitations went out lately.
            models.Index(fields=["sent_at"], name="nps_invitation_sent_idx",
                         condition=Q(sent_at__isnull=False)),
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.survey_id} → {self.customer_id}"

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and (now or timezone.now()) >= self.expires_at


class Response(models.Model):
    """A customer's answer. Customer and the audience facts (segment, value tier, language)
    are copied from the invitation when it is answered, so reports filter one table."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE,
                                      related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,
                                 related_name="nps_responses")
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(0), MaxValueValidator(10)])
    category = models.CharField(_("category"), max_length=10, choices=Category)
    comment = models.TextField(_("comment"), blank=True, max_length=MAX_COMMENT_CHARS)
    language = models.CharField(_("language"), max_length=5)
    segment = models.CharField(_("segment"), max_length=60, blank=True)
    value_tier = models.CharField(_("value tier"), max_length=10, blank=True)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)
    changed_at = models.DateTimeField(_("last changed"), null=True, blank=True)
    changes = models.PositiveSmallIntegerField(default=0)
    # A passive whose comment is negative: someone to call back. Staff clear the flag when
    # they have, saying who, when and what came of it.
    follow_up = models.BooleanField(_("follow up"), default=False)
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    followed_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("followed up by"),
                                       on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+")
    follow_up_note = models.TextField(_("what came of the follow-up"), blank=True)

    class Meta:
        ordering = ["-answered_at"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=10),
                                   name="nps_score_range"),
            models.CheckConstraint(
                condition=(Q(category="promoter", score__gte=9)
                           | Q(category="passive", score__gte=7, score__lte=8)
                           | Q(category="detractor", score__lte=6)),
                name="nps_category_matches_score"),
        ]
        indexes = [
            models.Index(fields=["answered_at", "score"], name="nps_response_time_idx"),
            models.Index(fields=["survey", "answered_at", "score"],
                         name="nps_response_survey_idx"),
            models.Index(fields=["segment", "answered_at", "score"],
                         name="nps_response_segment_idx"),
            models.Index(fields=["customer", "-answered_at"], name="nps_response_customer_idx"),
            # The detractor rule's incremental read of answers changed since its last run.
            models.Index(fields=["changed_at"], condition=Q(changed_at__isnull=False),
                         name="nps_response_changed_idx"),
            # The follow-ups list: the few answers still flagged, newest first.
            models.Index(fields=["-answered_at"], condition=Q(follow_up=True),
                         name="nps_response_follow_up_idx"),
        ]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return f"{self.score} ({self.category})"


class InvitationTally(models.Model):
    """Invitations sent, and how many of them were answered, per survey, month sent and
    audience (language, segment, value tier): the response rate's figures, so a report
    adds up a few thousand tallies instead of counting millions of invitations.

    Derived data: ``nps.services.reports.refresh_invitation_tallies`` recounts the months
    whose invitations were sent or answered since its last run (beat, every few minutes),
    so a response rate trails the invitations by at most that long. Months are those of
    the desk's time zone, as the reports' months are."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month sent"))  # its first day
    language = models.CharField(_("language"), max_length=5)
    segment = models.CharField(_("segment"), max_length=60, blank=True)
    value_tier = models.CharField(_("value tier"), max_length=10, blank=True)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    answered = models.PositiveIntegerField(_("answered"), default=0)
    counted_at = models.DateTimeField(_("counted"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "month", "language", "segment",
                                            "value_tier"], name="nps_tally_unique"),
        ]
        indexes = [
            # Reports read the tallies of a range of months under any filter from the index.
            models.Index(fields=["month"], include=["survey", "language", "segment",
                                                    "value_tier", "sent", "answered"],
                         name="nps_tally_month_idx"),
            models.Index(fields=["-counted_at"], name="nps_tally_counted_idx"),
        ]
        verbose_name = _("invitation tally")
        verbose_name_plural = _("invitation tallies")

    def __str__(self) -> str:
        return f"{self.survey_id} {self.month:%Y-%m}: {self.answered}/{self.sent}"


class AdvocateProfile(models.Model):
    """A promoter the company cultivates: a candidate after a 9 or 10, a brand advocate once
    a manager or advocate confirms them."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate")
        CONFIRMED = "confirmed", _("Brand advocate")
        DECLINED = "declined", _("Not an advocate")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE,
                                    related_name="advocate_profile")
    status = models.CharField(_("status"), max_length=10, choices=Status,
                              default=Status.CANDIDATE)
    since = models.DateTimeField(_("candidate since"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    declined_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-since"]
        indexes = [models.Index(fields=["status", "-since"], name="nps_advocate_status_idx")]
        verbose_name = _("advocate profile")
        verbose_name_plural = _("advocate profiles")

    def __str__(self) -> str:
        return f"{self.customer} ({self.get_status_display()})"


class CareAction(models.Model):
    """Something done to keep a brand advocate: one of the six practices."""

    class Practice(models.TextChoices):
        MUTUAL_RESPECT = "mutual_respect", _("Mutual respect")
        APPRECIATION = "appreciation", _("Appreciation")
        ACCESSIBILITY = "accessibility", _("Accessibility")
        ACTIVE_LISTENING = "active_listening", _("Active listening")
        RECOGNITION = "recognition", _("Recognition")
        PRESENCE = "presence", _("Presence")

    advocate = models.ForeignKey(AdvocateProfile, on_delete=models.CASCADE,
                                 related_name="care_actions")
    practice = models.CharField(_("practice"), max_length=20, choices=Practice)
    done_on = models.DateField(_("date"), default=timezone.localdate)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("who"),
                              on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    description = models.TextField(_("what"))
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-done_on", "-id"]
        indexes = [models.Index(fields=["advocate", "-done_on"], name="nps_care_advocate_idx")]
        verbose_name = _("care action")
        verbose_name_plural = _("care actions")

    def __str__(self) -> str:
        return f"{self.get_practice_display()} ({self.done_on})"
