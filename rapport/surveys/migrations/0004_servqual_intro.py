"""The SERVQUAL introduction said "left … right"; on a phone the two marks stack."""

from django.db import migrations

SWAPS = [("左边是", "先打"), ("右边是", "再打")]


def forwards(apps, schema_editor):
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    for template in SurveyTemplate.objects.filter(code="servqual_22"):
        for old, new in SWAPS:
            template.intro_zh = template.intro_zh.replace(old, new)
        template.save(update_fields=["intro_zh"])


def backwards(apps, schema_editor):
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    for template in SurveyTemplate.objects.filter(code="servqual_22"):
        for old, new in SWAPS:
            template.intro_zh = template.intro_zh.replace(new, old)
        template.save(update_fields=["intro_zh"])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_follow_up_ticket_and_sweep")]

    operations = [migrations.RunPython(forwards, backwards)]
