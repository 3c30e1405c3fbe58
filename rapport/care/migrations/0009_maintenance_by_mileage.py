"""The ready-made maintenance reminder goes by mileage or time, whichever comes first: every
5,000 km from the odometer at the last service (estimated with the vehicle's km per day) or 180
days. A program an administrator already changed keeps its own description."""

import django.core.validators
from django.db import migrations, models

from rapport.care.migrations import _trigger_indexes

NAME = "保养到期提醒"
OLD_DESCRIPTION = "距上次保养满间隔（默认180天）时提醒，未回复则三天后电话跟进。"
DESCRIPTION = (
    "按里程或时间，先到者为准：距上次保养行驶满 5,000 公里（按该车的里程读数估算日均里程，"
    "读数不足时按默认日均里程），或满 180 天时提醒；未回复则三天后电话跟进。"
)


def seed(apps, schema_editor):
    Program = apps.get_model("care", "Program")
    Program.objects.filter(
        name=NAME, trigger="maintenance_due", description=OLD_DESCRIPTION
    ).update(description=DESCRIPTION, maintenance_km=5000, maintenance_days=180)


def unseed(apps, schema_editor):
    Program = apps.get_model("care", "Program")
    Program.objects.filter(name=NAME, description=DESCRIPTION).update(description=OLD_DESCRIPTION)


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0008_revisit_after_delivery"),
        ("customers", "0010_asset_mileage_estimate"),
    ]

    operations = [
        migrations.AlterField(
            model_name="program",
            name="maintenance_days",
            field=models.PositiveSmallIntegerField(
                default=180,
                help_text="Maintenance due: days after the last service (1 to 3,650).",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(3650),
                ],
                verbose_name="service interval (days)",
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="maintenance_km",
            field=models.PositiveIntegerField(
                default=5000,
                help_text="Maintenance due: km driven after the last service (100 to 100,000). The day a vehicle reaches it is estimated from its odometer at that service and its average km per day (from its readings, else the fleet default); the reminder goes on that day or when the interval in days ends, whichever comes first.",
                validators=[
                    django.core.validators.MinValueValidator(100),
                    django.core.validators.MaxValueValidator(100000),
                ],
                verbose_name="service interval (km)",
            ),
        ),
        migrations.RunPython(seed, unseed),
        # customers 0010 only adds columns, but a rebuilt table on SQLite would lose these.
        *_trigger_indexes.operations(),
    ]
