"""The appointment reminder invites an answer: 1 confirms, 2 asks for a new time, 3 cancels
(rapport.appointments.replies maps the answer back). Only the shipped text is changed: a text an
administrator already edited is left as it is."""

from django.db import migrations

CODE = "care-appointment-reminder"
OLD_ZH = "{{ customer_name }}您好，提醒您：{{ occasion }}。如需改期请回复本消息或致电我们。{{ company }}"
OLD_EN = "Dear {{ customer_name }}, a reminder: {{ occasion }}. Reply to change it. {{ company }}"
NEW_ZH = (
    "{{ customer_name }}您好，提醒您：{{ occasion }}。回复1确认，回复2改期，回复3取消。{{ company }}"
)
NEW_EN = (
    "Dear {{ customer_name }}, a reminder: {{ occasion }}. "
    "Reply 1 to confirm, 2 to change the time, 3 to cancel. {{ company }}"
)


def _swap(apps, pairs):
    MessageTemplate = apps.get_model("channels", "MessageTemplate")
    for field, old, new in pairs:
        MessageTemplate.objects.filter(code=CODE, **{field: old}).update(**{field: new})


def forwards(apps, schema_editor):
    _swap(apps, [("body_zh", OLD_ZH, NEW_ZH), ("body_en", OLD_EN, NEW_EN)])


def backwards(apps, schema_editor):
    _swap(apps, [("body_zh", NEW_ZH, OLD_ZH), ("body_en", NEW_EN, OLD_EN)])


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_self_booking_and_confirmation"),
        ("care", "0003_ready_made_programs"),
        ("channels", "0002_message_templates"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
