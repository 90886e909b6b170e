from django.urls import path

from cases import views
from cases.views import organisation

app_name = "cases"
urlpatterns = [
    # the queue: the advocate's home page
    path("cases/", views.queue_page, name="queue"),
    path("cases/bulk/", views.queue_bulk_action, name="queue-bulk"),
    # one case
    path("cases/new/", views.case_new_page, name="case-new"),
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("cases/<int:pk>/brief/", views.decision_brief_page, name="case-brief"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case-assign"),
    path("cases/<int:pk>/status/", views.case_status, name="case-status"),
    path("cases/<int:pk>/priority/", views.case_priority, name="case-priority"),
    path("cases/<int:pk>/note/", views.case_note, name="case-note"),
    path("cases/<int:pk>/impact/", views.case_impact, name="case-impact"),
    path("cases/<int:pk>/remedies/", views.case_remedy_propose, name="case-remedy-propose"),
    path("cases/<int:pk>/remedies/<int:remedy_pk>/decide/", views.case_remedy_decide,
         name="case-remedy-decide"),
    path("cases/<int:pk>/email/", views.case_email, name="case-email"),
    path("cases/<int:pk>/resolve/", views.case_resolve, name="case-resolve"),
    path("cases/<int:pk>/reopen/", views.case_reopen, name="case-reopen"),
    path("contacts/new/", views.contact_new_page, name="contact-new"),
    path("settings/desk/", views.desk_settings_page, name="desk-settings"),
    # the proactive risk rules
    path("rules/", views.rules_page, name="rules"),
    path("rules/backtests/", views.rule_backtest_start, name="rule-backtest-start"),
    path("rules/backtests/<int:pk>/", views.rule_backtest_page, name="rule-backtest"),
    path("rules/<slug:key>/", views.rule_save, name="rule-save"),
    path("rules/<slug:key>/run/", views.rule_run, name="rule-run"),
    # customers and intake
    path("customers/", views.customer_list_page, name="customers"),
    path("customers/<str:external_ref>/", views.customer_page, name="customer"),
    path("orders/import/", views.order_import_new_page, name="order-import-new"),
    path("orders/imports/<int:pk>/", views.order_import_page, name="order-import"),
    path("organisation/", views.organisation_page, name="organisation"),
    path("organisation/departments/new/", organisation.department_new_page,
         name="organisation-department-new"),
    path("organisation/departments/<int:pk>/", organisation.department_edit_page,
         name="organisation-department-edit"),
    path("organisation/departments/<int:pk>/delete/", organisation.department_delete,
         name="organisation-department-delete"),
    path("organisation/teams/new/", organisation.team_new_page, name="organisation-team-new"),
    path("organisation/teams/<int:pk>/", organisation.team_page, name="organisation-team"),
    path("organisation/teams/<int:pk>/edit/", organisation.team_edit_page,
         name="organisation-team-edit"),
    path("organisation/teams/<int:pk>/delete/", organisation.team_delete,
         name="organisation-team-delete"),
    path("organisation/memberships/<int:pk>/role/", organisation.member_role,
         name="organisation-member-role"),
    path("organisation/memberships/<int:pk>/remove/", organisation.member_remove,
         name="organisation-member-remove"),
    path("organisation/staff/", organisation.staff_page, name="organisation-staff"),
    path("organisation/staff/new/", organisation.staff_new_page, name="organisation-staff-new"),
    path("organisation/staff/<int:pk>/", organisation.staff_edit_page,
         name="organisation-staff-edit"),
    path("settings/api-keys/", views.api_keys_page, name="api-keys"),
    path("settings/language/", views.language_choose, name="language"),
    path("settings/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api-key-revoke"),
]
