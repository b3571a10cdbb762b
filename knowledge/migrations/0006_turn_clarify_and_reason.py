"""Turns record the engine's two new outcomes: "clarify" (the shop is asked which of two
near-twin entries it means) and, on a hand-over, the reason "off_topic" (not about our service)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0005_add_shipped_entries"),
    ]

    operations = [
        migrations.AlterField(
            model_name="turn",
            name="decision",
            field=models.CharField(
                choices=[
                    ("answer", "Answered"),
                    ("suggest", "Suggestions offered"),
                    ("clarify", "Asked which one"),
                    ("handover", "Handed over"),
                ],
                max_length=10,
                verbose_name="decision",
            ),
        ),
        migrations.AddField(
            model_name="turn",
            name="reason",
            field=models.CharField(
                blank=True,
                choices=[("", "No particular reason"), ("off_topic", "Outside our service")],
                default="",
                max_length=20,
                verbose_name="reason",
            ),
        ),
    ]
