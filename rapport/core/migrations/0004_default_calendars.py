"""The two calendars every installation starts with, 2025–2026 holidays seeded from chinesecalendar.

Self-contained on purpose (historical models, no app code), so later changes to the services
cannot change what this migration did.
"""

from datetime import time

from django.db import migrations

OFFICE = "工作日 5×8"
HOTLINE = "7×24 热线"
YEARS = (2025, 2026)
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
}


def create_calendars(apps, schema_editor):
    import chinese_calendar

    BusinessCalendar = apps.get_model("core", "BusinessCalendar")
    WorkingInterval = apps.get_model("core", "WorkingInterval")
    CalendarException = apps.get_model("core", "CalendarException")

    office, created = BusinessCalendar.objects.get_or_create(
        name=OFFICE,
        defaults={
            "time_zone": "Asia/Shanghai",
            "is_default": not BusinessCalendar.objects.filter(is_default=True).exists(),
            "description": "周一至周五 9:00–12:00、13:30–18:00，国家法定节假日休息，调休日上班。",
        },
    )
    if created:
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=office, weekday=day, start=start, end=end)
            for day in range(5)
            for start, end in ((time(9), time(12)), (time(13, 30), time(18)))
        )
        rows = []
        for day, name in sorted(chinese_calendar.holidays.items()):
            if day.year in YEARS and name:
                rows.append(
                    CalendarException(
                        calendar=office, date=day, kind="holiday", name=HOLIDAY_NAMES_ZH.get(name, name)
                    )
                )
        for day, name in sorted(chinese_calendar.workdays.items()):
            if day.year in YEARS and name:
                rows.append(
                    CalendarException(
                        calendar=office,
                        date=day,
                        kind="workday",
                        name=f"{HOLIDAY_NAMES_ZH.get(name, name)}调休",
                        works_as_weekday=0,
                    )
                )
        CalendarException.objects.bulk_create(rows)

    hotline, created = BusinessCalendar.objects.get_or_create(
        name=HOTLINE,
        defaults={"time_zone": "Asia/Shanghai", "description": "全年无休，每天 0:00–24:00。"},
    )
    if created:
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=hotline, weekday=day, start=time(0), end=time(0))
            for day in range(7)
        )


def remove_calendars(apps, schema_editor):
    BusinessCalendar = apps.get_model("core", "BusinessCalendar")
    BusinessCalendar.objects.filter(name__in=[OFFICE, HOTLINE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_business_calendar"),
    ]

    operations = [
        migrations.RunPython(create_calendars, remove_calendars),
    ]
