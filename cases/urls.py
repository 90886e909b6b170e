from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [
    path("customers/", views.customer_list_page, name="customers"),
    path("customers/<str:external_ref>/", views.customer_page, name="customer"),
    path("orders/import/", views.order_import_new_page, name="order-import-new"),
    path("orders/imports/<int:pk>/", views.order_import_page, name="order-import"),
    path("settings/api-keys/", views.api_keys_page, name="api-keys"),
    path("settings/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api-key-revoke"),
]
