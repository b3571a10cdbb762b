"""The departments a city tobacco company has (部门联动 pulls them into urgent cases)."""

from django.db import migrations

DEPARTMENTS = [
    ("service", "客户服务中心", "service"),
    ("marketing", "营销中心", "marketing"),
    ("logistics", "物流配送中心", "logistics"),
    ("monopoly", "专卖管理科", "monopoly"),
    ("it", "信息中心", "it"),
    ("office", "综合办公室", "office"),
]


def forwards(apps, schema_editor):
    Department = apps.get_model("accounts", "Department")
    for code, name, kind in DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
