"""Customer knowledge: where feedback comes from, each piece of it as catalogued, the
imports that brought it, the taxonomy of themes and the customer needs built from them.

The five steps a team takes with feedback map onto these tables: identify every source and
select the ones worth collecting (``Source``: platform, selected and why, owner,
responsible department), collect and catalogue (``ImportBatch``, ``FeedbackItem`` with its
language, normalised rating, sentiment and ``Theme``s), analyse (the analysis page reads
items by source, time, theme) and define who is responsible (``Need``: owner department,
status, history).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Customer, Department, Order


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Source(models.Model):
    """A place customers say things about the company."""

    class Platform(models.TextChoices):
        AMAZON = "amazon", "Amazon"
        GOOGLE = "google", "Google"
        TRUSTPILOT = "trustpilot", "Trustpilot"
        TRIPADVISOR = "tripadvisor", "Tripadvisor"
        FACEBOOK = "facebook", "Facebook"
        INSTAGRAM = "instagram", "Instagram"
        X = "x", "X"
        CUSTOMER_SERVICE = "customer_service", _("Customer service")
        EMAIL = "email", _("Email")
        NPS_SURVEY = "nps_survey", _("NPS survey")
        OTHER = "other", _("Other")

    class Intake(models.TextChoices):
        UPLOAD = "upload", _("File upload")
        WEBHOOK = "webhook", _("Webhook")
        FEED = "feed", _("Scheduled feed")

    class FeedFormat(models.TextChoices):
        JSON = "json", _("JSON")
        RSS = "rss", _("RSS or Atom")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=60, unique=True,
                            help_text=_("Used by scripts: import_feedback SOURCE FILE."))
    platform = models.CharField(_("platform"), max_length=20, choices=Platform,
                                default=Platform.OTHER)
    selected = models.BooleanField(
        _("selected"), default=False,
        help_text=_("Worth collecting: its feedback counts in the needs and the analysis."))
    selection_reason = models.TextField(_("why (not) selected"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="feedback_sources",
        help_text=_("The person responsible for collecting from this source."))
    department = models.ForeignKey(
        Department, verbose_name=_("responsible department"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="feedback_sources")
    intake = models.CharField(_("intake"), max_length=10, choices=Intake,
                              default=Intake.UPLOAD)
    default_format = models.CharField(_("file format"), max_length=40, blank=True)
    format_options = models.JSONField(
        _("format options"), default=dict, blank=True,
        help_text=_("Column mapping of a CSV, or the page id whose own comments are skipped."))
    feed_url = models.URLField(_("feed URL"), blank=True, max_length=500)
    feed_format = models.CharField(_("feed format"), max_length=10, choices=FeedFormat,
                                   blank=True)
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret,
                                      editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_intake_at = models.DateTimeField(_("last intake"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("feedback source")
        verbose_name_plural = _("feedback sources")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("feedback:source", args=[self.slug])


class ImportBatch(models.Model):
    """One file or one pull, imported by a worker: pending work that lives here until done,
    with its progress, its counts and the records it kept out."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        UPLOAD = "upload", _("File upload")
        COMMAND = "command", _("Command line")
        FEED = "feed", _("Feed pull")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="batches")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.UPLOAD)
    format = models.CharField(_("format"), max_length=40)
    options = models.JSONField(_("format options"), default=dict, blank=True)
    file = models.FileField(_("file"), upload_to="feedback-imports/%Y/%m/", max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status,
                              default=Status.PENDING, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    enqueued_at = models.DateTimeField(_("queued"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    cancel_requested = models.BooleanField(default=False)
    rows_total = models.PositiveIntegerField(_("records"), null=True, blank=True)
    # Records read so far, kept with the counts in the same transaction as what they
    # wrote: a worker killed mid-way resumes after the last committed chunk.
    rows_done = models.PositiveIntegerField(_("records read"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failure = models.TextField(_("failure"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "enqueued_at"],
                                name="feedback_batch_status_idx")]
        verbose_name = _("feedback import")
        verbose_name_plural = _("feedback imports")

    def __str__(self) -> str:
        return f"{self.source}: {self.filename}"

    def get_absolute_url(self) -> str:
        return reverse("feedback:batch", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(100 * self.rows_done / self.rows_total))

    @property
    def rate(self) -> float | None:
        """Records per second so far."""
        if not self.started_at or not self.rows_done:
            return None
        end = self.finished_at or self.heartbeat_at or timezone.now()
        seconds = (end - self.started_at).total_seconds()
        return self.rows_done / seconds if seconds > 0 else None


class ImportRowError(models.Model):
    """A record an import kept out, with where it was and why."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField(_("row"))
    field = models.CharField(_("field"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=500)

    class Meta:
        ordering = ["batch", "line", "pk"]
        indexes = [models.Index(fields=["batch", "line"], name="feedback_row_error_idx")]
        constraints = [
            # A chunk retried after a crash writes its errors again: once is enough.
            models.UniqueConstraint(fields=["batch", "line", "field"],
                                    name="feedback_row_error_unique"),
        ]
        verbose_name = _("import error")
        verbose_name_plural = _("import errors")

    def __str__(self) -> str:
        return f"row {self.line}: {self.reason}"


class Theme(models.Model):
    """A node of the taxonomy feedback is catalogued into, with the words and phrases that
    point to it per language (matched stemmed)."""

    parent = models.ForeignKey("self", verbose_name=_("parent"), on_delete=models.CASCADE,
                               null=True, blank=True, related_name="children")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("key"), max_length=60, unique=True)
    keywords = models.JSONField(
        _("keywords"), default=dict, blank=True,
        help_text=_("Per language code, the words and phrases that point to this theme."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.name


class FeedbackItem(models.Model):
    """One review, comment or message, with its raw record and what cataloguing found."""

    # No index of their own for ``source`` and ``customer``: the indexes below lead with
    # them, and every index is one more write per imported item.
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="items",
                               db_index=False)
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="items")
    external_id = models.CharField(_("id at the source"), max_length=200, blank=True)
    content_hash = models.CharField(max_length=64)
    author = models.CharField(_("author"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    text = models.TextField(_("text"), blank=True)
    rating = models.FloatField(_("rating"), null=True, blank=True)
    rating_scale = models.CharField(_("rating scale"), max_length=20, blank=True)
    rating_normalised = models.FloatField(_("rating (0 to 1)"), null=True, blank=True)
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    language = models.CharField(_("language"), max_length=10, blank=True)
    sentiment = models.FloatField(_("sentiment"), null=True, blank=True)
    sentiment_terms = models.JSONField(_("words behind the sentiment"), default=list,
                                       blank=True)
    email = models.EmailField(_("email"), blank=True)
    order_ref = models.CharField(_("order"), max_length=100, blank=True)
    customer_ref = models.CharField(_("customer reference"), max_length=100, blank=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="feedback_items",
                                 db_index=False)
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="feedback_items")
    themes = models.ManyToManyField(Theme, through="ItemTheme", related_name="items",
                                    verbose_name=_("themes"))
    raw = models.JSONField(_("record as received"), default=dict)

    class Meta:
        ordering = ["-posted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"],
                                    condition=~Q(external_id=""),
                                    name="feedback_item_external_id_unique"),
            models.UniqueConstraint(fields=["source", "content_hash"],
                                    condition=Q(external_id=""),
                                    name="feedback_item_content_unique"),
            models.CheckConstraint(
                condition=Q(rating_normalised__isnull=True)
                | Q(rating_normalised__gte=0, rating_normalised__lte=1),
                name="feedback_rating_normalised_range"),
            models.CheckConstraint(
                condition=Q(sentiment__isnull=True) | Q(sentiment__gte=-1, sentiment__lte=1),
                name="feedback_sentiment_range"),
        ]
        indexes = [
            models.Index(fields=["source", "-posted_at"], name="feedback_item_source_idx"),
            models.Index(fields=["customer", "-posted_at"], name="feedback_item_customer_idx"),
            models.Index(fields=["-posted_at", "-id"], name="feedback_item_recent_idx"),
            # The negative-feedback rule's incremental read: items from known customers that
            # arrived since its last run (without it, every run reads the whole table).
            models.Index(fields=["received_at"], condition=Q(customer__isnull=False),
                         name="feedback_item_received_idx"),
            # The dashboard's feedback KPIs for one segment: the items of its customers in a
            # period, with their sentiment, from the index alone (``feedback.kpis``).
            models.Index(fields=["customer", "posted_at"], include=["sentiment"],
                         condition=Q(customer__isnull=False),
                         name="feedback_item_kpi_idx"),
        ]
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")

    def __str__(self) -> str:
        return self.title or self.text[:60]


class ItemTheme(models.Model):
    """A theme on an item: found by cataloguing, or set by an advocate, whose word stands
    when the item is catalogued again."""

    class Origin(models.TextChoices):
        CATALOGUE = "catalogue", _("Found")
        ADDED = "added", _("Added by an advocate")
        REMOVED = "removed", _("Removed by an advocate")

    # Indexed by the unique constraint (item, theme) and the index (theme, item). No
    # foreign-key constraint in the database: an import links each item to three or four
    # themes, and PostgreSQL's check of each link at commit took 40 % of storing a chunk
    # (28 of 70 µs an item). Links are only made by the import, for the items and themes it
    # has in hand in the same transaction, and only removed through Django, whose deletion
    # cascades (an item, a source, a theme: tests/feedback/test_taxonomy.py).
    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="item_themes",
                             db_index=False, db_constraint=False)
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="item_themes",
                              db_index=False, db_constraint=False)
    origin = models.CharField(max_length=10, choices=Origin, default=Origin.CATALOGUE)
    terms = models.JSONField(_("matched words"), default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "theme"],
                                               name="item_theme_unique")]
        indexes = [models.Index(fields=["theme", "item"], name="item_theme_theme_idx")]
        verbose_name = _("item theme")
        verbose_name_plural = _("item themes")

    def __str__(self) -> str:
        return f"{self.theme_id} on {self.item_id}"


class AnalysisDay(models.Model):
    """The feedback of one day from one source in one language, counted for the analysis
    page: all its items (no theme), or those carrying one theme. The page adds these up
    instead of reading a million items; ``services.refresh_analysis`` rebuilds them (after
    an import, after a taxonomy change, and by beat), and items stored since, those above
    ``counted_to``, the page counts itself."""

    day = models.DateField()
    # No index of their own: a source or a theme is seldom deleted, and the table is small.
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    language = models.CharField(max_length=10, blank=True)
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="+", db_index=False)
    items = models.PositiveIntegerField(default=0)
    # Items by rating, as stars out of 5 (``selectors.RATING_BANDS``).
    rated_1 = models.PositiveIntegerField(default=0)
    rated_2 = models.PositiveIntegerField(default=0)
    rated_3 = models.PositiveIntegerField(default=0)
    rated_4 = models.PositiveIntegerField(default=0)
    rated_5 = models.PositiveIntegerField(default=0)
    sentiment_total = models.FloatField(default=0)
    sentiment_count = models.PositiveIntegerField(default=0)
    counted_to = models.BigIntegerField(help_text="The highest item id the refresh counted.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "source", "language"],
                                    condition=Q(theme__isnull=True),
                                    name="feedback_analysis_day_unique"),
            models.UniqueConstraint(fields=["day", "source", "language", "theme"],
                                    condition=Q(theme__isnull=False),
                                    name="feedback_analysis_day_theme_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.source_id} {self.language} {self.theme_id}: {self.items}"


class Need(models.Model):
    """A customer need the company should act on, built from a theme of the feedback: how
    much customers say it, how negatively, whether it grows, and what the customers saying
    it are worth; owned by a department, moved through its statuses."""

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("need status", "New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")

    theme = models.OneToOneField(Theme, verbose_name=_("theme"), on_delete=models.CASCADE,
                                 related_name="need")
    department = models.ForeignKey(
        Department, verbose_name=_("owner department"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="needs")
    status = models.CharField(_("status"), max_length=15, choices=Status, default=Status.NEW)
    note = models.TextField(_("note"), blank=True)
    # The figures of the last refresh, over its period and the one before it.
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    volume = models.PositiveIntegerField(_("items"), default=0)
    negative = models.PositiveIntegerField(_("negative items"), default=0)
    previous_volume = models.PositiveIntegerField(_("items the period before"), default=0)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    customer_value = models.DecimalField(_("12-month revenue of those customers"),
                                         max_digits=16, decimal_places=2, default=0)
    score = models.FloatField(_("score"), default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score", "pk"]
        verbose_name = _("customer need")
        verbose_name_plural = _("customer needs")

    def __str__(self) -> str:
        return self.theme.name

    def get_absolute_url(self) -> str:
        return reverse("feedback:need", args=[self.pk])

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.volume if self.volume else None

    @property
    def trend(self) -> float | None:
        """Growth against the period before: +0.5 is half again as many items."""
        if not self.previous_volume:
            return None
        return (self.volume - self.previous_volume) / self.previous_volume


class NeedChange(models.Model):
    """One change of a need's owner, status or note: its history."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    field = models.CharField(max_length=20)
    old = models.CharField(max_length=200, blank=True)
    new = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("need change")
        verbose_name_plural = _("need changes")

    def __str__(self) -> str:
        return f"{self.field}: {self.old} → {self.new}"
