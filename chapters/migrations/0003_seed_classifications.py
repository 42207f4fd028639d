from django.db import migrations
from django.utils.text import slugify

PROFESSIONS = [
    "Accountant", "Architect", "Attorney", "Banker", "Business coach", "Caterer", "Chiropractor",
    "Cleaning services", "Commercial real estate agent", "Computer consultant", "Copywriter", "Dentist",
    "Electrician", "Event planner", "Financial consultant", "Florist", "Graphic designer", "HR consultant",
    "Insurance agent", "Interior designer", "IT support", "Landscaper", "Marketing consultant",
    "Mortgage broker", "Mover", "Personal trainer", "Photographer", "Physiotherapist", "Plumber", "Printer",
    "Real estate agent", "Recruiter", "Roofer", "Signage maker", "Solicitor", "Travel agent",
    "Veterinarian", "Videographer", "Web developer", "Wealth manager",
]


def seed(apps, schema_editor):
    Classification = apps.get_model("chapters", "Classification")
    for name in PROFESSIONS:
        Classification.objects.get_or_create(slug=slugify(name), defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("chapters", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
