from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
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
        from cases.middleware import remember_staff_language

        user_logged_in.connect(remember_staff_language, dispatch_uid="cases-staff-language")
        import cases.risk  # noqa: F401 (the desk's own rules join the registry)
        from cases.panels import CustomerPanel, register_customer_panel
        from cases.selectors import customers as selectors

        register_customer_panel(CustomerPanel(
            key="cases", title=_("Cases"), template="cases/panels/cases.html",
            context=lambda customer: selectors.customer_cases(customer=customer), order=10,
        ))
        register_customer_panel(CustomerPanel(
            key="contacts", title=_("Contacts"), template="cases/panels/contacts.html",
            context=lambda customer: selectors.customer_contacts(customer=customer), order=20,
        ))
