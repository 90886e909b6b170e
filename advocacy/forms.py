"""Forms of the programme view."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from advocacy import maturity


class ThresholdsForm(forms.Form):
    """One number per criterion, grouped by level on the page. The form checks that each
    is a number; its range, named after the criterion, is the model's to check."""

    def __init__(self, *args, thresholds: dict[str, Decimal], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for criterion in maturity.CRITERIA:
            default = maturity.format_value(criterion.default, criterion.unit)
            self.fields[criterion.key] = forms.DecimalField(
                label=criterion.label,
                max_digits=9,
                decimal_places=1,
                initial=thresholds[criterion.key],
                help_text=_("%(how)s Default: %(default)s.")
                % {"how": criterion.how, "default": default},
                widget=forms.NumberInput(attrs={"step": "any"}),
            )
            self.fields[criterion.key].criterion = criterion

    def by_level(self) -> list[tuple[maturity.Level, list[forms.BoundField]]]:
        return [
            (maturity.LEVELS[number], [self[c.key] for c in maturity.CRITERIA if c.level == number])
            for number in range(1, maturity.TOP_LEVEL + 1)
        ]
