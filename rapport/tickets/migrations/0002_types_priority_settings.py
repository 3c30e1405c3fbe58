from django.db import migrations

# (code, Chinese, English, order, parent code)
TYPES = [
    ("product_quality", "产品质量", "Product quality", 10, None),
    ("pq_powertrain", "发动机与动力系统", "Engine and powertrain", 11, "product_quality"),
    ("pq_electrical", "电气与车机", "Electrical and infotainment", 12, "product_quality"),
    ("pq_body", "车身与漆面", "Body and paint", 13, "product_quality"),
    ("pq_parts", "配件质量", "Parts quality", 14, "product_quality"),
    ("repair_quality", "维修质量", "Repair quality", 20, None),
    ("rq_repeat", "返修", "Repeat repair", 21, "repair_quality"),
    ("rq_damage", "维修中车辆受损", "Damage during service", 22, "repair_quality"),
    ("service_attitude", "服务态度", "Service attitude", 30, None),
    ("logistics_delay", "物流与交付延误", "Logistics delay", 40, None),
    ("ld_parts", "配件到货延误", "Parts delivery delay", 41, "logistics_delay"),
    ("ld_vehicle", "交车延误", "Vehicle handover delay", 42, "logistics_delay"),
    ("billing", "收费与账单", "Billing", 50, None),
    ("bl_overcharge", "多收费或乱收费", "Overcharge", 51, "billing"),
    ("bl_invoice", "发票问题", "Invoice", 52, "billing"),
    ("waiting_time", "等待时间过长", "Long waiting time", 60, None),
    ("warranty", "保修与索赔", "Warranty and claims", 70, None),
    ("other", "其他", "Other", 90, None),
]

# (type code or None, impact or "", tier or "", priority) — 1 low, 2 normal, 3 high, 4 urgent.
RULES = [
    (None, "safety", "", 4),
    (None, "group", "", 4),
    (None, "normal", "vip", 3),
    (None, "normal", "key_account", 3),
    (None, "normal", "regular", 2),
    (None, "normal", "potential", 2),
    ("product_quality", "normal", "regular", 3),
    ("repair_quality", "normal", "regular", 3),
    ("service_attitude", "normal", "", 3),
    ("billing", "normal", "regular", 2),
    ("waiting_time", "normal", "regular", 1),
    ("other", "normal", "regular", 1),
]


def seed(apps, schema_editor):
    TicketType = apps.get_model("tickets", "TicketType")
    PriorityRule = apps.get_model("tickets", "PriorityRule")
    TicketSettings = apps.get_model("tickets", "TicketSettings")
    by_code = {}
    for code, zh, en, order, parent in TYPES:
        by_code[code], _created = TicketType.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "sort_order": order,
                "parent": by_code.get(parent),
            },
        )
    for code, impact, tier, priority in RULES:
        PriorityRule.objects.update_or_create(
            ticket_type=by_code.get(code) if code else None,
            impact=impact,
            tier=tier,
            defaults={"priority": priority},
        )
    if not TicketSettings.objects.exists():
        TicketSettings.objects.create()


def unseed(apps, schema_editor):
    apps.get_model("tickets", "PriorityRule").objects.all().delete()
    TicketType = apps.get_model("tickets", "TicketType")
    TicketType.objects.filter(parent__isnull=False, code__in=[t[0] for t in TYPES]).delete()
    TicketType.objects.filter(code__in=[t[0] for t in TYPES]).delete()
    apps.get_model("tickets", "TicketSettings").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_tickets")]

    operations = [migrations.RunPython(seed, unseed)]
