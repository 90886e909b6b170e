from django.db import migrations

from feedback.taxonomy import DEFAULT_THEMES


def load_taxonomy(apps, schema_editor):
    Theme = apps.get_model("feedback", "Theme")
    by_slug = {}
    for position, (slug, name, parent, keywords) in enumerate(DEFAULT_THEMES):
        by_slug[slug], _created = Theme.objects.get_or_create(slug=slug, defaults={
            "name": name, "parent": by_slug.get(parent), "keywords": keywords,
            "position": position,
        })


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
