"""Lunar dates for care programs: lunar birthdays and the lunar holidays, resolved each year.

The rule for a lunar birthday (month M, day D — customers keep no leap flag) in a lunar year:
- it is kept in the ordinary month M, never in a leap month of the same number (闰月): a customer
  born in a leap month celebrates in the ordinary month, as is the common custom;
- when month M of that year is short (29 days) and D is 30, it falls on the 29th, the last day
  of the month, so the birthday is never skipped in a year.
So each customer has exactly one lunar birthday per lunar year.
"""

from datetime import date

from lunar_python import Lunar, LunarYear, Solar


def _month_days(year: int, month: int) -> int:
    return LunarYear.fromYear(year).getMonth(month).getDayCount()


def lunar_to_solar(year: int, month: int, day: int) -> date:
    """The solar date of lunar year/month/day (ordinary month; day 30 of a short month → 29)."""
    day = min(day, _month_days(year, month))
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def lunar_birthdays_on(day: date) -> list[tuple[int, int]]:
    """The (lunar month, lunar day) pairs whose birthday falls on the solar `day`.

    Empty inside a leap month; on the 29th of a short month also (month, 30)."""
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month, lday = lunar.getMonth(), lunar.getDay()
    if month < 0:
        return []
    pairs = [(month, lday)]
    if lday == 29 and _month_days(lunar.getYear(), month) == 29:
        pairs.append((month, 30))
    return pairs


def lunar_birthday_in(solar_year: int, month: int, day: int) -> list[date]:
    """The solar dates of the lunar birthday that fall in `solar_year` (one or two: lunar month 12
    birthdays of two lunar years can both land in one solar year, or none)."""
    found = []
    for lunar_year in (solar_year - 1, solar_year):
        when = lunar_to_solar(lunar_year, month, day)
        if when.year == solar_year:
            found.append(when)
    return found


def spring_festival(year: int) -> date:
    """春节: the first day of the first lunar month, in solar `year`."""
    return lunar_to_solar(year, 1, 1)


def mid_autumn(year: int) -> date:
    """中秋: the 15th day of the eighth lunar month, in solar `year`."""
    return lunar_to_solar(year, 8, 15)


def solar_label(day: date) -> str:
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    return f"农历{lunar.getMonthInChinese()}月{lunar.getDayInChinese()}"
