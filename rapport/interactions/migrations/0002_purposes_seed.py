from django.db import migrations

PURPOSES = [
    ("information", "咨询", "Information", 10),
    ("complaint", "投诉", "Complaint", 20),
    ("care_call", "关怀回访", "Care call", 30),
    ("after_sales", "售后支持", "After-sales support", 40),
    ("appointment", "预约", "Appointment", 50),
    ("survey", "满意度调查", "Survey", 60),
    ("sales_visit", "销售拜访", "Sales visit", 70),
    ("other", "其他", "Other", 90),
]


def seed(apps, schema_editor):
    Purpose = apps.get_model("interactions", "Purpose")
    for code, zh, en, order in PURPOSES:
        Purpose.objects.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "sort_order": order}
        )


def unseed(apps, schema_editor):
    Purpose = apps.get_model("interactions", "Purpose")
    Purpose.objects.filter(code__in=[p[0] for p in PURPOSES]).delete()


class Migration(migrations.Migration):
    dependencies = [("interactions", "0001_interactions")]

    operations = [migrations.RunPython(seed, unseed)]
