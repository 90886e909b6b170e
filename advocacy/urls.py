from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django_ratelimit.decorators import ratelimit

from advocacy import kpi_views, views
from advocacy.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cases:queue"), name="home"),
    path(
        "accounts/login/",
        ratelimit(key="ip", rate=lambda group, request: settings.LOGIN_RATE, method="POST")(
            auth_views.LoginView.as_view(redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("dashboard/kpis/", kpi_views.kpis_page, name="dashboard-kpis"),
    path("dashboard/kpis.csv", kpi_views.kpis_csv, name="dashboard-kpis-csv"),
    path("dashboard/", include("advocacy.dashboard_urls")),
    path("", include("cases.urls")),
    path("", include("feedback.urls")),
    path("", include("nps.urls")),
]
