from django.db import migrations

from feedback.taxonomy import DEFAULT_THEMES, load_default_taxonomy


def load_taxonomy(apps, schema_editor):
    load_default_taxonomy(apps.get_model("feedback", "Theme"))


def unload_taxonomy(apps, schema_editor):
    Theme = apps.get_model("feedback", "Theme")
    Theme.objects.filter(slug__in=[slug for slug, *_rest in DEFAULT_THEMES]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("feedback", "0001_sources_imports_items_themes"),
    ]

    operations = [
        migrations.RunPython(load_taxonomy, unload_taxonomy),
    ]
