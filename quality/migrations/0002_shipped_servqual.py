"""Install the shipped SERVQUAL and NPS instruments (quality/shipped.py) in every database."""

from django.db import migrations

from quality import shipped


def install(apps, schema_editor):
    Instrument = apps.get_model("quality", "Instrument")
    Dimension = apps.get_model("quality", "Dimension")
    Question = apps.get_model("quality", "Question")
    Department = apps.get_model("accounts", "Department")
    if Instrument.objects.filter(code=shipped.CODE).exists():
        return
    instrument = Instrument.objects.create(
        code=shipped.CODE, name=shipped.NAME, kind="servqual", description=shipped.DESCRIPTION
    )
    dimensions = {
        code: Dimension.objects.create(instrument=instrument, code=code, name=name, position=i)
        for i, (code, name) in enumerate(shipped.DIMENSIONS, start=1)
    }
    owners = {}
    for department in Department.objects.filter(is_active=True).order_by("code"):
        owners.setdefault(department.kind, department)
    position = 0
    for code, dimension, owner, text in shipped.ITEMS:
        position += 1
        Question.objects.create(
            instrument=instrument,
            dimension=dimensions[dimension],
            code=code,
            position=position,
            kind="ep",
            text=text,
            expectation_text=shipped.EXPECTATION_PREFIX + text,
            scale_min=1,
            scale_max=7,
            low_label=shipped.LOW_LABEL,
            high_label=shipped.HIGH_LABEL,
            department=owners.get(owner),
        )
    Question.objects.create(
        instrument=instrument,
        code=shipped.POINTS_CODE,
        position=position + 1,
        kind="points",
        text=shipped.POINTS_TEXT,
        scale_min=0,
        scale_max=100,
    )
    Question.objects.create(
        instrument=instrument,
        code=shipped.COMMENT_CODE,
        position=position + 2,
        kind="text",
        text=shipped.COMMENT_TEXT,
        required=False,
    )
    nps = Instrument.objects.create(code=shipped.NPS_CODE, name=shipped.NPS_NAME, kind="nps")
    Question.objects.create(
        instrument=nps,
        code="recommend",
        position=1,
        kind="nps",
        text=shipped.NPS_TEXT,
        scale_min=0,
        scale_max=10,
        low_label=shipped.NPS_LOW,
        high_label=shipped.NPS_HIGH,
    )
    Question.objects.create(
        instrument=nps,
        code="why",
        position=2,
        kind="text",
        text=shipped.NPS_WHY,
        required=False,
    )


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial"), ("accounts", "0003_department_city_wide")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
