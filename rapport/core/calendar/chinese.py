"""China's public holidays and make-up working days (调休) from the `chinesecalendar` package.

The package's data ends with the last year the State Council has announced (2026 in version
1.11); later years are entered by hand or imported from a file.
"""

from datetime import date

import chinese_calendar

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def known_years() -> range:
    days = [*chinese_calendar.holidays, *chinese_calendar.workdays]
    return range(min(days).year, max(days).year + 1)


def official_days(years: list[int]) -> list[tuple[date, str, str]]:
    """(date, "holiday" | "workday", Chinese name) for every official day in `years`, by date.

    Holidays include the weekend days inside a holiday period; make-up days are named after the
    holiday they pay for, e.g. 国庆节调休.
    """
    wanted = set(years)
    rows = []
    for day, name in chinese_calendar.holidays.items():
        if day.year in wanted and name:
            rows.append((day, "holiday", HOLIDAY_NAMES_ZH.get(name, name)))
    for day, name in chinese_calendar.workdays.items():
        if day.year in wanted and name:
            rows.append((day, "workday", f"{HOLIDAY_NAMES_ZH.get(name, name)}调休"))
    return sorted(rows)
