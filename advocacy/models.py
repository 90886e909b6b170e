"""The programme view's own data: the maturity thresholds managers set, and the monthly
snapshots of the maturity evaluation (the current month's row is the dashboard's cache)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The model's levels run from 0 (not yet level 1) to this.
TOP_LEVEL = 4


class MaturitySettings(models.Model):
    """The thresholds of the maturity criteria (a single row): criterion key → threshold.
    A key left out uses the model's default."""

    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("maturity settings")
        verbose_name_plural = _("maturity settings")

    def __str__(self) -> str:
        return str(_("Maturity settings"))

    @classmethod
    def current(cls) -> MaturitySettings:
        return cls.objects.get_or_create(pk=1)[0]

    def effective_thresholds(self) -> dict[str, Decimal]:
        from advocacy import maturity

        chosen = self.thresholds or {}
        return {
            key: Decimal(str(chosen[key])) if key in chosen else default
            for key, default in maturity.default_thresholds().items()
        }

    def clean(self) -> None:
        """Each threshold a number within its criterion's range; the message names the
        criterion, keyed by its key (the form's field)."""
        from advocacy import maturity

        errors: dict[str, str] = {}
        for key, raw in (self.thresholds or {}).items():
            criterion = maturity.BY_KEY.get(key)
            if criterion is None:
                errors[key] = _("“%(key)s” is not a criterion of the maturity model.") % {
                    "key": key
                }
                continue
            try:
                value = Decimal(str(raw))
            except (InvalidOperation, ValueError):
                value = None
            if value is None or not value.is_finite():
                errors[key] = _("“%(criterion)s”: the threshold must be a number.") % {
                    "criterion": criterion.label
                }
                continue
            low, high = criterion.minimum, criterion.maximum
            if value < low or (high is not None and value > high):
                errors[key] = (
                    _("“%(criterion)s”: the threshold must be between %(low)s and %(high)s.")
                    if high is not None
                    else _("“%(criterion)s”: the threshold must be at least %(low)s.")
                ) % {"criterion": criterion.label, "low": low, "high": high}
            elif criterion.unit == maturity.COUNT and value != value.to_integral_value():
                errors[key] = _("“%(criterion)s”: the threshold must be a whole number.") % {
                    "criterion": criterion.label
                }
        if errors:
            raise ValidationError(errors)


class MaturitySnapshot(models.Model):
    """The maturity evaluation of one month (its first day): the current month's row is
    replaced as beat re-evaluates, a past month's row keeps its last evaluation."""

    month = models.DateField(_("month"), unique=True)
    level = models.PositiveSmallIntegerField(_("level"))
    as_of = models.DateTimeField(_("evidence up to"))
    evaluated_at = models.DateTimeField(_("evaluated"), default=timezone.now)
    criteria = models.JSONField(_("criteria"), default=list)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__lte=TOP_LEVEL), name="maturity_snapshot_level_range"
            ),
        ]
        verbose_name = _("maturity snapshot")
        verbose_name_plural = _("maturity snapshots")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: level {self.level}"

    @property
    def evaluation(self):
        from advocacy import maturity

        return maturity.Evaluation.from_json(as_of=self.as_of, level=self.level, rows=self.criteria)

    @property
    def met_count(self) -> int:
        return sum(1 for row in self.criteria if row.get("met"))
