from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AdvocacyConfig(AppConfig):
    default = True
    name = "advocacy"
    verbose_name = _("Advocacy programme")

    def ready(self) -> None:
        import advocacy.demo  # noqa: F401 (load_demo's maturity story, loaded last)


class DeskAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "advocacy.admin.DeskAdminSite"
