from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # The file formats, and the sweeper's hook for imports whose worker died.
        from feedback import presets, services  # noqa: F401
