"""The ready-made appointment reminder is a service message the customer asked for by booking:
nobody is held out of it for comparison, and another program's recent contact does not stop it
(the shipped defaults, 10 % held out and 14 quiet days, withheld real reminders). A program an
administrator already changed from those defaults is left alone."""

from django.db import migrations


def always_send(apps, schema_editor):
    Program = apps.get_model("care", "Program")
    Program.objects.filter(trigger="appointment", holdout_percent=10, quiet_days=14).update(
        holdout_percent=0, quiet_days=0
    )


class Migration(migrations.Migration):
    dependencies = [("care", "0006_trigger_date_indexes_after_regulator_risk")]

    operations = [migrations.RunPython(always_send, migrations.RunPython.noop)]
