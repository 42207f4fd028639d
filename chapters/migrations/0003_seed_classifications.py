from django.db import migrations
from django.utils.text import slugify

from chapters.professions import PROFESSIONS


def seed(apps, schema_editor):
    Classification = apps.get_model("chapters", "Classification")
    for name in PROFESSIONS:
        Classification.objects.get_or_create(slug=slugify(name), defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("chapters", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
