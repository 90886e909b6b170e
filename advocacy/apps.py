from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AdvocacyConfig(AppConfig):
    default = True
    name = "advocacy"
    verbose_name = "Advocacy programme"


class DeskAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "advocacy.admin.DeskAdminSite"
