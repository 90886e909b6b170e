from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NpsConfig(AppConfig):
    name = "nps"
    verbose_name = _("NPS")

    def ready(self) -> None:
        import nps.risk  # detractor answers join the risk engine
        import nps.services.answers  # the sweeper's hook for comments
        import nps.services.invitations  # the sweeper's hook for invitations
        from cases.services.api_keys import API_SCOPES

        API_SCOPES["nps:read"] = _("Read NPS figures")
        import nps.demo  # noqa: F401 (load_demo's surveys and answers)
        from cases.panels import CustomerPanel, register_customer_panel
        from nps.selectors import advocates

        register_customer_panel(CustomerPanel(
            key="nps", title=_("NPS"), template="nps/panels/customer.html",
            context=lambda customer: advocates.customer_nps(customer=customer), order=40,
        ))
