# Rows built before the grains carry no grain, channel, ticket type or tier: every day becomes
# not current, so the analysis computes it live until the worker (or
# `manage.py satisfaction_rollups --rebuild`) builds it again. The same going back.

from django.db import migrations


def every_day_stale(apps, schema_editor):
    apps.get_model("surveys", "SatisfactionRollupDay").objects.update(built_version=None)


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0010_satisfaction_rollup_grains'),
    ]

    operations = [
        migrations.RunPython(every_day_stale, every_day_stale),
    ]
