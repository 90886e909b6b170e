"""Starting SLA targets per priority (hours): managers change them under Desk settings.

Urgent: answer within 1 h, resolve within a day; high 4 h / 3 days; normal 1 day / 5 days;
low 2 days / 10 days.
"""

from django.db import migrations

DEFAULTS = {1: (1, 24), 2: (4, 72), 3: (24, 120), 4: (48, 240)}


def create(apps, schema_editor):
    SlaTarget = apps.get_model("cases", "SlaTarget")
    for priority, (first_response, resolution) in DEFAULTS.items():
        SlaTarget.objects.get_or_create(
            priority=priority,
            defaults={"first_response_hours": first_response, "resolution_hours": resolution},
        )


def drop(apps, schema_editor):
    apps.get_model("cases", "SlaTarget").objects.filter(priority__in=DEFAULTS).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_case_event_append_only")]

    operations = [migrations.RunPython(create, drop)]
