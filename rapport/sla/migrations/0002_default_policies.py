"""The service levels the source texts name, as editable defaults (DOMAIN.md §3):
online chat answered within 30 seconds; complaints closed within 48 hours."""

from django.db import migrations

POLICIES = [
    # name, calendar, matchers, first response, resolution (seconds), precedence
    ("在线客服 30 秒应答", "7×24 热线", {"channel": "chat"}, 30, None, 10),
    ("投诉 48 小时办结", "7×24 热线", {"ticket_kind": "complaint"}, 2 * 3600, 48 * 3600, 20),
    ("VIP 客户", "工作日 5×8", {"customer_tier": "vip"}, 2 * 3600, 16 * 3600, 30),
    ("默认", "工作日 5×8", {}, 8 * 3600, 24 * 3600, 100),
]


def create(apps, schema_editor):
    Calendar = apps.get_model("core", "BusinessCalendar")
    Policy = apps.get_model("sla", "SlaPolicy")
    for name, calendar_name, matchers, first, resolution, precedence in POLICIES:
        calendar = Calendar.objects.filter(name=calendar_name).first()
        if calendar is None:
            continue
        Policy.objects.get_or_create(
            name=name,
            defaults={
                "calendar": calendar,
                "first_response_seconds": first,
                "resolution_seconds": resolution,
                "precedence": precedence,
                **matchers,
            },
        )


def remove(apps, schema_editor):
    apps.get_model("sla", "SlaPolicy").objects.filter(name__in=[p[0] for p in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_service_levels"), ("core", "0004_default_calendars")]
    operations = [migrations.RunPython(create, remove)]
