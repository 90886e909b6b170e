from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_staff_groups(sender: AppConfig, **kwargs) -> None:
    from cases import services

    services.sync_staff_groups()


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Permissions exist only after migrate, so the groups are brought up to date then.
        post_migrate.connect(_sync_staff_groups, sender=self, dispatch_uid="cases-groups")
