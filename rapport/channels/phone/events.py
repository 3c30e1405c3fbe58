"""Parsing pushed call events into one shape, whatever the call centre.

Two formats arrive:
- Rapport's generic JSON (docs/design/phone.md): one event per request.
- Tencent Cloud Contact Center (TCCC) "电话 CDR 数据推送" (`?action=cdr`): one record per finished
  call, which becomes the events it implies (ringing, answered when it was, ended or missed).

Both raise `CallEventInvalid` naming the field; nothing here touches the database.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

MAX_BODY_BYTES = 64 * 1024
KNOWN_EVENTS = ("ringing", "answered", "ended", "missed", "recording")
HANGUP_ALIASES = {
    "": "",
    "customer": "customer",
    "user": "customer",
    "caller": "customer",
    "agent": "agent",
    "seat": "agent",
    "staff": "agent",
    "system": "system",
}
MAX_DURATION = 24 * 3600


class CallEventInvalid(Exception):
    """A pushed event we cannot read; `field` names what is wrong, `message` says how."""

    def __init__(self, field: str, message: str, code: str = "invalid"):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CallEventData:
    call_id: str
    event_type: str  # lower case, as sent; unknown types are kept and ignored
    occurred_at: datetime | None = None
    direction: str = ""  # "inbound" | "outbound" | "" (not said)
    from_number: str = ""
    to_number: str = ""
    agent_extension: str = ""
    agent_id: str = ""
    duration_seconds: int | None = None
    hangup_side: str = ""
    recording_url: str = ""
    payload: dict = field(default_factory=dict, compare=False)

    @property
    def is_known(self) -> bool:
        return self.event_type in KNOWN_EVENTS


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN / Infinity: not storable, not a time or length


def load_json_object(body: bytes) -> dict:
    if not body.strip():
        raise CallEventInvalid("body", _("The body is empty; send one JSON object."), "empty")
    if b"\x00" in body or b"\\u0000" in body:  # PostgreSQL's jsonb cannot store NUL
        raise CallEventInvalid("body", _("The body contains a NUL character."), "invalid_json")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CallEventInvalid("body", _("The body is not JSON (UTF-8)."), "invalid_json") from exc
    if not isinstance(data, dict):
        raise CallEventInvalid("body", _("The body must be one JSON object."), "invalid_json")
    return data


def _text(data: dict, key: str, limit: int, *, required: bool = False, name: str = "") -> str:
    name = name or key
    value = data.get(key)
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CallEventInvalid(name, _("“%(field)s” must be text.") % {"field": name})
    value = str(value).strip()
    if required and not value:
        raise CallEventInvalid(name, _("“%(field)s” is required.") % {"field": name})
    if len(value) > limit:
        raise CallEventInvalid(
            name,
            _("“%(field)s” has at most %(limit)s characters.") % {"field": name, "limit": limit},
        )
    if "\x00" in value:
        raise CallEventInvalid(name, _("“%(field)s” contains a NUL character.") % {"field": name})
    return value


def _when(value, name: str) -> datetime | None:
    """Unix seconds (int) or ISO 8601; a time without offset is in the site's time zone."""
    if value in (None, "", 0):
        return None
    if isinstance(value, bool):
        raise CallEventInvalid(name, _("“%(field)s” is not a time.") % {"field": name})
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        if not 946684800 <= seconds <= 4102444800:  # 2000-01-01 .. 2100-01-01
            raise CallEventInvalid(name, _("“%(field)s” is out of range.") % {"field": name})
        return datetime.fromtimestamp(seconds, tz=UTC)
    if not isinstance(value, str) or len(value) > 40:
        raise CallEventInvalid(name, _("“%(field)s” is not a time.") % {"field": name})
    try:
        parsed = parse_datetime(value.strip().replace(" ", "T", 1))
    except ValueError:
        parsed = None
    if parsed is None or not 2000 <= parsed.year <= 2100:
        raise CallEventInvalid(name, _("“%(field)s” is not a time.") % {"field": name})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _duration(value, name: str = "duration") -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CallEventInvalid(name, _("“%(field)s” must be whole seconds.") % {"field": name})
    try:
        seconds = int(float(value))
    except (ValueError, OverflowError) as exc:
        raise CallEventInvalid(
            name, _("“%(field)s” must be whole seconds.") % {"field": name}
        ) from exc
    if not 0 <= seconds <= MAX_DURATION:
        raise CallEventInvalid(
            name, _("“%(field)s” must be between 0 and 86400 seconds.") % {"field": name}
        )
    return seconds


def _url(value: str, name: str = "recording_url") -> str:
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)  # what Call.recording_url accepts
    except ValidationError as exc:
        raise CallEventInvalid(
            name, _("“%(field)s” must be an http(s) link.") % {"field": name}
        ) from exc
    return value


def parse_generic(body: bytes) -> CallEventData:
    """One event in Rapport's JSON shape (docs/design/phone.md)."""
    data = load_json_object(body)
    direction = _text(data, "direction", 10).lower()
    if direction not in ("", "inbound", "outbound"):
        raise CallEventInvalid("direction", _("“direction” is inbound or outbound."))
    side = _text(data, "hangup_side", 10).lower()
    if side not in HANGUP_ALIASES:
        raise CallEventInvalid("hangup_side", _("“hangup_side” is customer, agent or system."))
    agent = data.get("agent")
    if agent is not None and not isinstance(agent, dict):
        raise CallEventInvalid("agent", _("“agent” must be an object."))
    agent = agent or {}
    return CallEventData(
        call_id=_text(data, "call_id", 128, required=True),
        event_type=_text(data, "event", 40, required=True).lower(),
        occurred_at=_when(data.get("occurred_at"), "occurred_at"),
        direction=direction,
        from_number=_text(data, "from", 40),
        to_number=_text(data, "to", 40),
        agent_extension=_text(agent, "extension", 64, name="agent.extension"),
        agent_id=_text(agent, "id", 64, name="agent.id"),
        duration_seconds=_duration(data.get("duration")),
        hangup_side=HANGUP_ALIASES[side],
        recording_url=_url(_text(data, "recording_url", 1000)),
        payload=data,
    )


# TCCC EndStatusString values after which nobody talked to the caller: the call was missed.
TCCC_ANSWERED = {"ok", "seatForward"}


def parse_tccc_cdr(body: bytes) -> list[CallEventData]:
    """A TCCC phone CDR push (action=cdr) as the events it implies, in order."""
    data = load_json_object(body)
    session = _text(data, "SessionId", 128, required=True)
    direction_code = data.get("Direction")
    if direction_code not in (0, 1, "0", "1"):
        raise CallEventInvalid("Direction", _("“Direction” is 0 (inbound) or 1 (outbound)."))
    direction = "inbound" if str(direction_code) == "0" else "outbound"
    seat = data.get("SeatUser") or {}
    if not isinstance(seat, dict):
        raise CallEventInvalid("SeatUser", _("“SeatUser” must be an object."))
    started = _when(data.get("StartTimestamp"), "StartTimestamp")
    rang = _when(data.get("RingTimestamp"), "RingTimestamp") or started
    accepted = _when(data.get("AcceptTimestamp"), "AcceptTimestamp")
    ended = _when(data.get("EndedTimestamp"), "EndedTimestamp")
    status = _text(data, "EndStatusString", 40)
    side = _text(data, "HungUpSide", 10).lower()
    common = {
        "call_id": session,
        "direction": direction,
        "from_number": _text(data, "Caller", 40),
        "to_number": _text(data, "Callee", 40),
        "agent_extension": _text(seat, "StaffNumber", 64, name="SeatUser.StaffNumber"),
        "agent_id": _text(seat, "UserId", 64, name="SeatUser.UserId"),
        "payload": data,
    }
    events = [CallEventData(event_type="ringing", occurred_at=rang, **common)]
    answered = accepted is not None and (not status or status in TCCC_ANSWERED)
    recording = _url(_text(data, "RecordURL", 1000), "RecordURL")
    if answered:
        events.append(CallEventData(event_type="answered", occurred_at=accepted, **common))
        events.append(
            CallEventData(
                event_type="ended",
                occurred_at=ended,
                duration_seconds=_duration(data.get("Duration"), "Duration"),
                hangup_side=HANGUP_ALIASES.get(side, ""),
                recording_url=recording,
                **common,
            )
        )
    else:
        events.append(CallEventData(event_type="missed", occurred_at=ended or rang, **common))
    return events
