"""Priority-based defaults: an urgent ticket gets shorter targets than a normal one (紧急 shorter
than 一般). Until now only the kind, channel and tier had defaults, so an urgent ticket ran on the
same clock as a routine one unless an administrator thought of it. High priority keeps the
general targets: administrators who want a step between add it in the policy form."""

from django.db import migrations

URGENT = 4
POLICIES = [
    # name, calendar, matchers, first response, resolution (seconds), precedence
    ("紧急投诉 24 小时办结", "7×24 热线", {"ticket_kind": "complaint", "priority": URGENT}, 30 * 60, 24 * 3600, 12),
    ("紧急事项", "工作日 5×8", {"priority": URGENT}, 3600, 8 * 3600, 40),
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
    dependencies = [("sla", "0005_clocks_follow_calendar_changes")]
    operations = [migrations.RunPython(create, remove)]
