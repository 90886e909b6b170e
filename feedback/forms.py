"""Forms of the feedback pages: they check the shape of input; services check the rules."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cases import selectors as desk
from cases.display import staff_name
from cases.models import Department
from feedback.formats import FORMATS
from feedback.models import Need, Source, Theme


def format_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} ({FORMATS[name].label})") for name in sorted(FORMATS)]


class SourceForm(forms.ModelForm):
    """What a manager decides about a source: steps 1, 2 and 5 (identify it, select it or
    not and why, make someone responsible)."""

    class Meta:
        model = Source
        fields = ["name", "slug", "platform", "selected", "selection_reason", "owner",
                  "department", "intake", "default_format", "feed_url", "feed_format"]
        widgets = {"selection_reason": forms.Textarea(attrs={"rows": 3})}

    feed_url = forms.URLField(label=_("feed URL"), required=False, max_length=500,
                              assume_scheme="https")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = desk.assignable_staff()
        self.fields["owner"].label_from_instance = staff_name
        self.fields["department"].queryset = Department.objects.order_by("name")
        self.fields["default_format"] = forms.ChoiceField(
            label=_("File format"), required=False,
            choices=[("", _("Choose when uploading")), *format_choices()])


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    format = forms.ChoiceField(label=_("Format"), choices=format_choices)

    @staticmethod
    def max_megabytes() -> int:
        return settings.FEEDBACK_UPLOAD_MAX_BYTES // (1024 * 1024)


class NeedForm(forms.ModelForm):
    """A manager's decision on a need: which department owns it, where it stands."""

    class Meta:
        model = Need
        fields = ["department", "status", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.order_by("name")
        self.fields["department"].empty_label = _("No department yet")


class ItemThemesForm(forms.Form):
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"), required=False, widget=forms.CheckboxSelectMultiple,
        queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].queryset = Theme.objects.order_by("position", "name")


class ThemeForm(forms.ModelForm):
    """A theme of the taxonomy, with its keywords one per line for each language."""

    class Meta:
        model = Theme
        fields = ["name", "slug", "parent", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Theme.objects.order_by("position", "name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        for code, name in settings.LANGUAGES:
            if code in settings.FEEDBACK_LANGUAGES:
                self.fields[f"keywords_{code}"] = forms.CharField(
                    label=_("Words and phrases in %(language)s") % {"language": name},
                    required=False, widget=forms.Textarea(attrs={"rows": 4}),
                    help_text=_("One per line; every form of a word matches."),
                    initial="\n".join((self.instance.keywords or {}).get(code, [])))

    def save(self, commit: bool = True):
        theme = super().save(commit=False)
        theme.keywords = {
            code: [line.strip() for line in self.cleaned_data.get(f"keywords_{code}",
                                                                  "").splitlines()
                   if line.strip()]
            for code in settings.FEEDBACK_LANGUAGES
        }
        return theme


MAPPED_FIELDS = {
    "text": _("Text of the review or comment"),
    "rating": _("Rating"),
    "posted_at": _("When it was posted"),
    "external_id": _("Its id at the source"),
    "title": _("Title"),
    "author": _("Author"),
    "language": _("Language code"),
    "email": _("Customer's email"),
    "order_ref": _("Order reference"),
    "customer_ref": _("Customer reference"),
}


class CsvMappingForm(forms.Form):
    """Which column of a CSV holds what: saved on the source as its ``csv`` preset."""

    upload = forms.CharField(widget=forms.HiddenInput)
    worst = forms.FloatField(label=_("Worst rating"), initial=1)
    best = forms.FloatField(label=_("Best rating"), initial=5)
    date_format = forms.CharField(
        label=_("Date format"), required=False,
        help_text=_("Empty for ISO 8601 (2026-11-23T14:30:00+01:00); else as strftime, "
                    "e.g. %d.%m.%Y."))
    import_now = forms.BooleanField(label=_("Import this file now"), required=False,
                                    initial=True)

    def __init__(self, *args, headers: list[str], mapping: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("(not in this file)")), *[(header, header) for header in headers]]
        for name, label in MAPPED_FIELDS.items():
            self.fields[f"column_{name}"] = forms.ChoiceField(
                label=label, choices=choices, required=False,
                initial=(mapping or {}).get(name, ""))
        self.order_fields([f"column_{name}" for name in MAPPED_FIELDS])

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("column_text") or cleaned.get("column_rating")):
            raise forms.ValidationError(_("Choose the column of the text or of the rating: "
                                          "without either there is no feedback to import."))
        if (cleaned.get("worst") is not None and cleaned.get("best") is not None
                and cleaned["worst"] >= cleaned["best"]):
            self.add_error("best", _("The best rating must be above the worst."))
        return cleaned

    def options(self) -> dict:
        mapping = {name: self.cleaned_data[f"column_{name}"] for name in MAPPED_FIELDS
                   if self.cleaned_data.get(f"column_{name}")}
        return {"mapping": mapping, "rating_scale": [self.cleaned_data["worst"],
                                                     self.cleaned_data["best"]],
                "date_format": self.cleaned_data.get("date_format") or ""}
