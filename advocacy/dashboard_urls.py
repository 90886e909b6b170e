"""The manager's dashboard, under /dashboard/ (the KPIs page has its own path)."""

from django.urls import path

from advocacy import dashboard_views

urlpatterns = [
    path("", dashboard_views.dashboard_page, name="dashboard"),
    path("evaluate/", dashboard_views.evaluate_now, name="dashboard-evaluate"),
    path("thresholds/", dashboard_views.thresholds_page, name="dashboard-thresholds"),
]
