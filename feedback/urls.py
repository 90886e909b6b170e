from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("feedback/", views.sources_page, name="sources"),
    path("feedback/sources/new/", views.source_new_page, name="source-new"),
    path("feedback/sources/<slug:slug>/", views.source_page, name="source"),
    path("feedback/sources/<slug:slug>/upload/", views.source_upload, name="source-upload"),
    path("feedback/sources/<slug:slug>/mapping/", views.source_mapping_page,
         name="source-mapping"),
    path("feedback/imports/<int:pk>/", views.batch_page, name="batch"),
    path("feedback/imports/<int:pk>/cancel/", views.batch_cancel, name="batch-cancel"),
    path("feedback/imports/<int:pk>/errors.csv", views.batch_errors_csv, name="batch-errors"),
    path("feedback/analysis/", views.analysis_page, name="analysis"),
    path("feedback/items/<int:pk>/", views.item_page, name="item"),
    path("feedback/themes/", views.themes_page, name="themes"),
    path("feedback/themes/new/", views.theme_edit_page, name="theme-new"),
    path("feedback/themes/<slug:slug>/", views.theme_edit_page, name="theme"),
    path("feedback/needs/", views.needs_page, name="needs"),
    path("feedback/needs/refresh/", views.needs_refresh, name="needs-refresh"),
    path("feedback/needs/export.csv", views.needs_csv, name="needs-csv"),
    path("feedback/needs/<int:pk>/", views.need_page, name="need"),
]
