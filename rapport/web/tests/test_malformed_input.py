"""The malformed-input corpus (issue 15): every form Rapport serves and every API operation it
documents is sent NUL bytes, control characters, GB18030 bodies, integers beyond 64 bits, dates
at the edges of the calendar, 1 MB strings, JSON nested 1,000 deep and disguised files. Never a
500; what must be refused is refused (4xx, or the form again with its errors) with nothing
written.

The forms are found by GETting every page of the URL conf and reading its <form method="post">
elements; the operations come from /api/v1/openapi.json. A new page or endpoint is covered
without touching this file. Only the id kinds below need naming when a new path parameter
appears (the test says which)."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urljoin

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from rapport.customers.tests.factories import AssetFactory, CustomerFactory
from rapport.interactions.tests.factories import FollowUpTaskFactory, InteractionFactory
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory
from rapport.surveys.tests.factories import SendFactory
from rapport.tickets import services as ticket_services
from rapport.tickets.tests.factories import in_progress

pytestmark = pytest.mark.django_db

NUL = "名字\x00"
ESC = "\x1b[31m红\x1b[0m"
CONTROLS = [NUL, ESC]
HUGE = [str(2**63), str(10**30)]
EDGE_INSTANTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]
EDGE_LOCAL = ["0001-01-01T00:00", "9999-12-31T23:59"]
EDGE_DAYS = ["0001-01-01", "9999-12-31"]
MEGABYTE = "长" * (1024 * 1024 // 3)
SKIPPED_PREFIXES = ("admin/", "api/", "i18n/", "logout/", "static/")


# --- the world the pages and operations are asked about ----------------------------------------


@pytest.fixture
def world(team, other_team):
    manager = StaffFactory(username="corpus_manager", role=User.Role.MANAGER, teams=[team])
    agent = StaffFactory(username="corpus_agent", role=User.Role.REPRESENTATIVE, teams=[team])
    customer = CustomerFactory(phone="13800138000")
    asset = AssetFactory(customer=customer)
    interaction = InteractionFactory(customer=customer, staff=manager)
    task = FollowUpTaskFactory(interaction=interaction, customer=customer, assignee=manager)
    ticket = in_progress(manager, customer)
    remedy = ticket_services.remedy_offer(
        ticket=ticket, by=manager, kind="apology", description="致歉"
    )
    improvement = ticket_services.improvement_add(
        ticket=ticket,
        by=manager,
        kind="training",
        description="培训",
        owner=manager,
        due_on=timezone.localdate() + timedelta(days=7),
    )
    send = SendFactory(customer=customer, owner=manager, token="corpus-token")
    from rapport.knowledge.services import article_create

    article = article_create(by=manager, title="知识库文章", body="正文")
    ids = {
        "customer_id": customer.pk,
        "asset_id": asset.pk,
        "identity_id": customer.identities.first().pk,
        "interaction_id": interaction.pk,
        "task_id": task.pk,
        "ticket_id": ticket.pk,
        "remedy_id": remedy.pk,
        "improvement_id": improvement.pk,
        "send_id": send.pk,
        "template_id": send.template_id,
        "calendar_id": 1,
        "alert_id": 1,
        "attachment_id": 1,
        "token": "corpus-token",
        "day": "2026-10-01",
        "chart": "csat",
        "fmt": "csv",
        "figure": "csat",
        "action": "note",
        # No conversation in this world yet: the inbox pages answer 404 and get the junk posts.
        "conversation_id": 1,
        "message_id": 1,
        "inbound_id": 1,
        "notification_id": _notification(manager),
        "article_id": article.pk,
        **_care_ids(),
        "call_id": 1,  # no call either: the phone pages answer 404
        "view_id": 1,  # no saved view: its delete answers 404
        "appointment_id": 1,  # no appointment either: its pages answer 404
        "work_order_id": 1,  # nor a work order
        "invite_id": 1,  # nor a WeChat binding code: its simulated scan answers 404
        "step": "start",
    }
    return {"manager": manager, "agent": agent, "ticket": ticket, "ids": ids}


def _notification(user) -> int:
    from rapport.notifications.models import Notification
    from rapport.notifications.services import notify

    notify(users=[user], kind="mention", title="通知", url="/")
    return Notification.objects.filter(recipient=user).latest("id").pk


def _care_ids() -> dict:
    from rapport.care.models import CareRun, Program, Segment

    program = Program.objects.order_by("id").first()
    run = CareRun.objects.create(program=program, run_on=timezone.localdate())
    segment = Segment.objects.order_by("id").first()
    return {"program_id": program.pk, "run_id": run.pk, "segment_id": segment.pk, "verb": "pause"}


def _counts() -> tuple:
    """Rows of every Rapport table, in one query."""
    tables = [
        m._meta.db_table
        for m in apps.get_models()
        if m.__module__.startswith("rapport.")
        and m._meta.model_name not in ("periodicrun", "loginattempt")
    ]
    quoted = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quoted(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(zip(tables, cursor.fetchone(), strict=True))


def _changed(before: tuple, after: tuple) -> list[str]:
    return [f"{t}: {a} -> {b}" for (t, a), (_t, b) in zip(before, after, strict=True) if a != b]


# --- the HTML forms -----------------------------------------------------------------------------


def _patterns(resolver=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for p in (resolver or get_resolver()).url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            found += _patterns(p, route)
        elif not route.lstrip("^").startswith(SKIPPED_PREFIXES):
            found.append((route, p))
    return found


PAGES = sorted({route for route, _p in _patterns()})


def _fill(route: str, ids: dict) -> str:
    def value(match):
        name = match.group(2)
        if name not in ids:
            raise AssertionError(f"Name an example for <{name}> in the corpus's world.")
        return quote(str(ids[name]))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


class _Forms(HTMLParser):
    """The <form method="post"> elements of a page: action, enctype and fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {"action": a.get("action") or "", "fields": []}
                self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if (
                kind in ("checkbox", "radio")
                and "checked" not in a
                and any(f["name"] == a["name"] for f in self._form["fields"])
            ):
                return
            self._form["fields"].append(
                {"name": a["name"], "kind": kind, "value": a.get("value", "")}
            )
        elif tag == "textarea":
            self._textarea = {"name": a["name"], "kind": "textarea", "value": ""}
            self._form["fields"].append(self._textarea)
        elif tag == "select":
            self._select = {"name": a["name"], "kind": "select", "value": None}
            self._form["fields"].append(self._select)
        elif (
            tag == "option"
            and self._select is not None
            and (self._select["value"] is None or "selected" in a)
        ):
            self._select["value"] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _baseline(form: dict) -> dict:
    data: dict = {}
    for f in form["fields"]:
        value = f["value"] if f["value"] is not None else ""
        if f["kind"] == "file":
            continue
        if not value and f["kind"] in ("text", "textarea"):
            value = "客户说明"
        if not value and f["kind"] == "number":
            value = "1"
        if not value and f["kind"] == "datetime-local":
            value = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        if not value and f["kind"] == "date":
            value = timezone.localdate().isoformat()
        if not value and f["kind"] == "tel":
            value = "13800138000"
        if not value and f["kind"] == "email":
            value = "corpus@example.com"
        data.setdefault(f["name"], value)
    return data


def _disguised_files() -> list[tuple[str, SimpleUploadedFile]]:
    exe = b"MZ\x90\x00" + b"\x00" * 60
    return [
        ("exe named .jpg", SimpleUploadedFile("photo.jpg", exe, "image/jpeg")),
        ("double extension", SimpleUploadedFile("invoice.pdf.exe", exe, "application/pdf")),
        (
            "svg with script",
            SimpleUploadedFile(
                "logo.svg",
                b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
                "image/svg+xml",
            ),
        ),
        ("zip", SimpleUploadedFile("photos.zip", b"PK\x03\x04" + b"\x00" * 100, "application/zip")),
        ("empty", SimpleUploadedFile("empty.jpg", b"", "image/jpeg")),
    ]


def _variants(form: dict) -> list[tuple[str, dict, bool]]:
    """(label, data, must be refused) for one form."""
    base = _baseline(form)
    variants: list[tuple[str, dict, bool]] = []
    text_kinds = ("text", "textarea", "search", "email", "tel", "url", "password", "hidden")
    # Bounded in time: NUL into every text field, the other control characters into the first
    # two (one check serves both), one huge integer per choice, two edges per date and time.
    texts = 0
    for f in form["fields"]:
        name, kind = f["name"], f["kind"]
        if name == "csrfmiddlewaretoken":
            continue
        # A hidden field may back a flag or a choice that reads any text as "yes": no 500 is
        # all it owes; a visible text field must refuse.
        if kind in text_kinds:
            texts += 1
            for v in CONTROLS if texts <= 2 else CONTROLS[:1]:
                variants.append((f"{name}={v!r}", {**base, name: v}, kind != "hidden"))
        if kind == "number":
            variants += [(f"{name}={v}", {**base, name: v}, True) for v in HUGE]
        if kind in ("select", "hidden", "radio"):
            variants.append((f"{name}={HUGE[1]}", {**base, name: HUGE[1]}, kind != "hidden"))
        if kind == "datetime-local":
            edges = [EDGE_LOCAL[0], EDGE_INSTANTS[1]]
            variants += [(f"{name}={v}", {**base, name: v}, True) for v in edges]
        if kind == "date":
            variants += [(f"{name}={v}", {**base, name: v}, True) for v in EDGE_DAYS]
        if kind == "file":
            variants += [
                (f"{name}: {label}", {**base, name: upload}, True)
                for label, upload in _disguised_files()
            ]
    long_field = next(
        (f["name"] for f in form["fields"] if f["kind"] in ("textarea", "text")), None
    )
    if long_field:
        variants.append((f"{long_field}=1 MB", {**base, long_field: MEGABYTE}, False))
    return variants


def _post_gb18030(client: Client, url: str, data: dict):
    body = "&".join(
        f"{quote(str(k).encode('gb18030'))}={quote(str(v).encode('gb18030'))}"
        for k, v in data.items()
        if not hasattr(v, "read")
    )
    return client.generic(
        "POST",
        url,
        body.encode(),
        content_type="application/x-www-form-urlencoded; charset=GB18030",
    )


@pytest.mark.parametrize("route", PAGES)
def test_no_form_of_this_page_gives_a_500_or_writes_on_refusal(route, world):
    client = Client(raise_request_exception=False)
    client.force_login(world["manager"])
    url = _fill(route, world["ids"])
    page = client.get(url)
    assert page.status_code < 500, f"GET {url}"
    parser = _Forms()
    if page.get("Content-Type", "").startswith("text/html"):
        parser.feed(page.content.decode())
    problems = []
    for form in parser.forms:
        action = urljoin(url, form["action"]) if form["action"] else url
        if action.startswith(("/logout", "/i18n", "/admin")):
            continue
        for label, data, refused in _variants(form):
            before = _counts()
            response = client.post(action, data)
            after = _counts()
            if response.status_code >= 500:
                problems.append(f"POST {action} {label}: {response.status_code}")
            elif refused and (changed := _changed(before, after)):
                problems.append(f"POST {action} {label}: wrote {changed}")
        response = _post_gb18030(client, action, _baseline(form))
        if response.status_code >= 500:
            problems.append(f"POST {action} as GB18030: {response.status_code}")
    # Whatever the page, junk posted straight at it is never a 500.
    for data in ({"x": NUL}, {"id": HUGE[1]}):
        response = client.post(url, data)
        if response.status_code >= 500:
            problems.append(f"POST {url} {data!r}: {response.status_code}")
    assert not problems, "\n".join(problems)


# --- the API ------------------------------------------------------------------------------------


def _operations() -> list[tuple[str, str]]:
    from rapport.api.api import api

    schema = api.get_openapi_schema()
    return sorted(
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )


OPERATIONS = _operations()

# Values a baseline request sends so that it gets past the first validation; by property name.
KNOWN = {
    "purpose": "complaint",
    "kind": None,  # the enum's first value
    "phone": "13800138000",
    "email": "corpus@example.com",
    "contact_email": "corpus@example.com",
    "value": "13800138000",
    "reason": "更正",
    "title": "回电",
    "summary": "客户来电",
}


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            if options:
                return _resolve(options[0], components)
    return schema


def _example(name: str, schema: dict, components: dict, ids: dict, depth: int = 0):
    schema = _resolve(schema, components)
    if "enum" in schema:
        return schema["enum"][0]
    if name in ids:
        return ids[name]
    if KNOWN.get(name):
        return KNOWN[name]
    kind = schema.get("type")
    fmt = schema.get("format")
    if fmt == "date-time":
        return (timezone.now() + timedelta(days=1)).isoformat()
    if fmt == "date":
        return (timezone.localdate() + timedelta(days=1)).isoformat()
    if kind == "string":
        return "说明"[: schema.get("maxLength", 2)] or "x"
    if kind == "integer":
        return max(schema.get("minimum", 1), 1) if name.endswith("id") or "minimum" in schema else 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object" and depth < 3:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {
            k: _example(k, v, components, ids, depth + 1)
            for k, v in props.items()
            if k in required or k in ids or k in KNOWN
        }
    return None


def _leaves(name: str, schema: dict, components: dict, path: tuple = ()):
    """(path, format) of every scalar property of a body, one level of nesting deep."""
    schema = _resolve(schema, components)
    if schema.get("type") == "object" and len(path) < 2:
        for k, v in schema.get("properties", {}).items():
            yield from _leaves(k, v, components, (*path, k))
    elif path:
        yield path, schema.get("type"), schema.get("format"), "enum" in schema


def _set(body: dict, path: tuple, value) -> dict:
    body = json.loads(json.dumps(body))
    target = body
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value
    return body


def _bad_values(kind, fmt, is_enum) -> list[tuple[object, bool]]:
    """(value, must be refused) for a scalar of this type."""
    if fmt == "date-time":
        return [(v, True) for v in EDGE_INSTANTS]
    if fmt == "date":
        return [(v, True) for v in EDGE_DAYS]
    if kind == "integer":
        return [(2**63, True), (10**30, True)]
    if kind == "string":
        return [(v, True) for v in CONTROLS]
    return []


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_operation_gives_a_500_or_writes_on_refusal(method, path, world, api_client):
    from rapport.api.api import api

    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    operation = schema["paths"][path][method]
    ids = world["ids"]
    client = api_client(world["manager"])
    client.raise_request_exception = False
    url = "/api/v1" + re.sub(
        r"{(\w+)}", lambda m: quote(str(ids.get(m.group(1), 1))), path.removeprefix("/api/v1")
    )

    query = {}
    for p in operation.get("parameters", []):
        if p["in"] == "query" and (p.get("required") or p["name"] in ids):
            query[p["name"]] = _example(p["name"], p.get("schema", {}), components, ids)
    body_schema = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema")
    )
    body = _example("", body_schema, components, ids) if body_schema else None

    def send(query_values, body_value, raw=None, content_type="application/json"):
        full = url + (
            "?" + "&".join(f"{k}={quote(str(v))}" for k, v in query_values.items())
            if query_values
            else ""
        )
        data = (
            raw if raw is not None else (json.dumps(body_value) if body_value is not None else "")
        )
        return client.generic(method.upper(), full, data, content_type=content_type)

    problems = []

    def check(label, response, refused, before):
        if response.status_code >= 500:
            problems.append(f"{label}: {response.status_code}")
        elif refused and response.status_code < 400:
            problems.append(f"{label}: accepted with {response.status_code}")
        elif refused and (changed := _changed(before, _counts())):
            problems.append(f"{label}: wrote {changed}")

    for p in operation.get("parameters", []):
        if p["in"] != "query":
            continue
        p_schema = _resolve(p.get("schema", {}), components)
        for value, refused in _bad_values(
            p_schema.get("type"), p_schema.get("format"), "enum" in p_schema
        ):
            before = _counts()
            check(
                f"?{p['name']}={value!r}", send({**query, p["name"]: value}, body), refused, before
            )
        before = _counts()
        check(f"?{p['name']}=NUL", send({**query, p["name"]: NUL}, body), True, before)
    for p in operation.get("parameters", []):
        if p["in"] == "path" and _resolve(p.get("schema", {}), components).get("type") == "integer":
            huge = url.replace(f"/{ids.get(p['name'], 1)}", f"/{10**30}", 1)
            response = client.generic(method.upper(), huge, "", content_type="application/json")
            if response.status_code >= 500:
                problems.append(f"path {p['name']}=10^30: {response.status_code}")
    if body_schema:
        for leaf, kind, fmt, is_enum in _leaves("", body_schema, components):
            for value, refused in _bad_values(kind, fmt, is_enum):
                before = _counts()
                check(
                    f"body {'.'.join(leaf)}={value!r}",
                    send(query, _set(body, leaf, value)),
                    refused,
                    before,
                )
        deep = "[" * 1000 + "]" * 1000
        for label, raw, content_type in [
            ("1,000 levels deep", deep, "application/json"),
            ("1 MB string", json.dumps({**(body or {}), "x": MEGABYTE}), "application/json"),
            (
                "GB18030 body",
                json.dumps(body, ensure_ascii=False).encode("gb18030"),
                "application/json; charset=GB18030",
            ),
        ]:
            before = _counts()
            check(
                label,
                send(query, None, raw=raw, content_type=content_type),
                label == "1,000 levels deep",
                before,
            )
    assert not problems, "\n".join(problems)
