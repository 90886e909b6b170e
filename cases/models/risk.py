"""Proactive risk checks: each rule's settings, the signals it found and its runs.

A rule's logic is code (``cases.risk`` and the other apps' ``risk.py``); what a manager
decides about it (on or off, its parameters, which team gets its cases, whether the
customer is told at once) lives here, one ``RiskRule`` row per rule.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.customers import Customer, Order
from cases.models.desk import Case, OutboundEmail
from cases.models.organisation import Team


class RiskRule(models.Model):
    key = models.SlugField(_("rule"), max_length=50, unique=True)
    enabled = models.BooleanField(_("enabled"), default=False)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    owner_team = models.ForeignKey(
        Team, verbose_name=_("owner team"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="risk_rules",
        help_text=_("The team whose queue gets this rule's cases."),
    )
    outreach = models.BooleanField(
        _("proactive outreach"), default=False,
        help_text=_("Email the customer at once, in their language, when a case opens "
                    "(at most once per customer per day)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )

    class Meta:
        ordering = ["key"]
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")

    def __str__(self) -> str:
        return self.key


class RiskSignal(models.Model):
    """One thing a rule found: an order (or a customer) at risk, with the facts as of the
    moment it was detected. At most one per rule and subject, ever: a rule that runs again,
    or on two workers at once, finds the signal already there."""

    rule = models.ForeignKey(RiskRule, on_delete=models.CASCADE, related_name="signals")
    subject_key = models.CharField(max_length=100)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="risk_signals"
    )
    facts = models.JSONField(default=dict)
    severity = models.PositiveSmallIntegerField(default=2)
    detected_at = models.DateTimeField(_("detected"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="risk_signals"
    )

    class Meta:
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "subject_key"], name="risk_signal_unique"),
        ]
        indexes = [
            models.Index(fields=["rule", "subject_key"], name="risk_signal_open_idx",
                         condition=models.Q(cleared_at__isnull=True)),
        ]
        verbose_name = _("risk signal")
        verbose_name_plural = _("risk signals")

    def __str__(self) -> str:
        return f"{self.rule.key}: {self.subject_key}"


class RuleRun(models.Model):
    """One execution of one rule, as of a moment (now, or a simulated time)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    rule = models.ForeignKey(RiskRule, on_delete=models.CASCADE, related_name="runs")
    as_of = models.DateTimeField(_("as of"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.RUNNING)
    rows_examined = models.PositiveIntegerField(default=0)
    signals_new = models.PositiveIntegerField(default=0)
    signals_open = models.PositiveIntegerField(default=0)
    signals_cleared = models.PositiveIntegerField(default=0)
    cases_opened = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # A full run evaluates the rule over every order; an incremental one re-checks only
    # what changed since the previous run (see ``cases.services.risk``).
    full = models.BooleanField(_("full run"), default=True)
    # Orders stamped updated from here on are news to the next incremental run.
    watermark = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["rule", "-started_at"], name="rule_run_recent_idx")]
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")

    def __str__(self) -> str:
        return f"{self.rule.key} as of {self.as_of:%Y-%m-%d %H:%M}"

    @property
    def duration_ms(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds() * 1000


class ProactiveOutreach(models.Model):
    """The desk told a customer about a problem before they asked: at most once a day."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    email = models.OneToOneField(OutboundEmail, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "day"], name="outreach_once_a_day"),
        ]
        verbose_name = _("proactive outreach")
        verbose_name_plural = _("proactive outreach")

    def __str__(self) -> str:
        return f"{self.customer_id} on {self.day}"


class TeamAlert(models.Model):
    """An email to a team's address about cases a rule opened (critical orders): queued
    with the run, claimed by one worker, sent once."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(RuleRun, on_delete=models.CASCADE, related_name="alerts")
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("team alert")
        verbose_name_plural = _("team alerts")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class RiskBacktest(models.Model):
    """A replay of past data a manager asked for on the Rules page: run by a worker (it can
    take minutes), its figures kept as the JSON of ``ReplayReport.as_dict``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    rule_key = models.CharField(
        _("rule"), max_length=50, blank=True, help_text=_("Blank: every rule."))
    params = models.JSONField(_("parameter overrides"), default=dict, blank=True)
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("to"))
    step_minutes = models.PositiveIntegerField(_("step (minutes)"), default=60)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "enqueued_at"], name="backtest_status_idx")]
        verbose_name = _("risk backtest")
        verbose_name_plural = _("risk backtests")

    def __str__(self) -> str:
        return f"{self.rule_key or 'all rules'} {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"
