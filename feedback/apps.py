from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # The file formats, and the sweeper's hook for imports whose worker died.
        from cases.services.api_keys import API_SCOPES
        from feedback import presets, services  # noqa: F401

        API_SCOPES["feedback:write"] = _("Push feedback items")
