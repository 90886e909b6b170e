"""What each member of staff chose for themselves, kept with the user so it follows them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

STAFF_LANGUAGES = [code for code, _name in settings.LANGUAGES]


class StaffPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_preference",
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        help_text=_("The language of the desk's pages for this person, on every device."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=STAFF_LANGUAGES),
                name="staff_language_shipped",
            ),
        ]
        verbose_name = _("staff preference")
        verbose_name_plural = _("staff preferences")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"
