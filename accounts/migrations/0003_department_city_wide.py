"""Departments that answer every shop of the city (customer service, logistics) see their whole
queue; the others see their members' grids (security issue 12: staff scope)."""

from django.db import migrations, models

CITY_WIDE = ("service", "logistics")


def forwards(apps, schema_editor):
    Department = apps.get_model("accounts", "Department")
    Department.objects.filter(code__in=CITY_WIDE).update(city_wide=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_departments")]
    operations = [
        migrations.AddField(
            model_name="department",
            name="city_wide",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Its members see and work its whole queue and its support tasks, for every "
                    "shop of the city. Otherwise they see the requests of the shops of their "
                    "grids only."
                ),
                verbose_name="city-wide",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
