"""Hooks the apps above care register at start-up (in their AppConfig.ready()), never signals.

- `register_occasion_source(trigger, func)`: func(day: date) -> iterable of (customer_id,
  occurrence_key, occasion text) for the occasions of `trigger` on `day` ("appointment" from
  appointments, "survey_low" from surveys). Keys must be stable: the same occasion, the same key.
- `register_csat_source(func)`: func(customer_ids: list[int], since: datetime) -> (sum, count)
  of satisfaction scores (0–100) given after `since`, for the results' reached-vs-hold-out view.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime

OccasionSource = Callable[[date], Iterable[tuple[int, str, str]]]
CsatSource = Callable[[list[int], datetime], tuple[float, int]]

_occasions: dict[str, OccasionSource] = {}
_csat: list[CsatSource] = []


def register_occasion_source(trigger: str, func: OccasionSource) -> None:
    _occasions[trigger] = func


def occasion_source(trigger: str) -> OccasionSource | None:
    return _occasions.get(trigger)


def register_csat_source(func: CsatSource) -> None:
    if func not in _csat:
        _csat.append(func)


def csat_sources() -> list[CsatSource]:
    return list(_csat)
