from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # The file formats, and the sweeper's hook for imports whose worker died.
        from cases.services.api_keys import API_SCOPES
        from feedback import feeds, presets, services  # noqa: F401

        API_SCOPES["feedback:write"] = _("Push feedback items")

        from django.urls import reverse

        import feedback.demo  # load_demo's feedback
        import feedback.risk  # noqa: F401 (negative feedback joins the risk engine)
        from cases.panels import CustomerPanel, register_customer_panel
        from cases.selectors.organisation import register_department_list
        from feedback import selectors

        register_department_list(  # the organisation page links a department to its needs
            "feedback.Need",
            lambda department: f"{reverse('feedback:needs')}?department={department.pk}")
        register_customer_panel(CustomerPanel(
            key="feedback", title=_("Feedback"), template="feedback/panels/customer.html",
            context=lambda customer: selectors.customer_feedback(customer=customer), order=30,
        ))
