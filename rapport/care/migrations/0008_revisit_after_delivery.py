"""The revisit three days after a car is handed back (the seven steps' last step, 跟踪回访): a
ready-made call program on the new "service delivered" trigger, shipped as a draft like the
others."""

import datetime

from django.db import migrations, models

NAME = "交车后三天回访"


def seed(apps, schema_editor):
    Program = apps.get_model("care", "Program")
    Segment = apps.get_model("care", "Segment")
    segment = Segment.objects.filter(name="车主客户").first()
    if segment is None:
        return
    Program.objects.get_or_create(
        name=NAME,
        defaults={
            "description": "维修保养交车三天后电话回访，确认问题已解决、车辆使用正常。",
            "segment": segment,
            "trigger": "service_delivered",
            "offset_days": 3,
            "action": "call",
            "script_text": "{customer_name}您好，我是{company}的{agent_name}。{occasion}，"
            "想了解一下车辆现在使用情况如何，维修的问题是否已经彻底解决？",
            "starts_on": datetime.date.today(),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("care", "0007_appointment_reminder_always_sent")]

    operations = [
        migrations.AlterField(
            model_name="program",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("policy_expiry", "Insurance policy expiry"),
                    ("warranty_expiry", "Warranty end"),
                    ("contract_expiry", "Contract expiry"),
                    ("purchase_anniversary", "Purchase anniversary"),
                    ("birthday", "Birthday (lunar where the customer keeps one)"),
                    ("maintenance_due", "Maintenance due (time or mileage)"),
                    ("appointment", "Appointment date"),
                    ("ticket_closed", "Ticket closed"),
                    ("service_delivered", "Vehicle delivered after service"),
                    ("survey_low", "Survey answered low"),
                    ("became_at_risk", "Customer became at-risk"),
                    ("once", "Once, on a date"),
                    ("yearly", "Every year, on a date"),
                    ("spring_festival", "Spring Festival (春节), each year"),
                    ("mid_autumn", "Mid-Autumn Festival (中秋), each year"),
                ],
                max_length=24,
                verbose_name="trigger",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
