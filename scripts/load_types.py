"""The request types of `make load`, shared by the locustfile (names) and the report (the
server's access log is classified with the same patterns)."""

import re

# name, method, path pattern
TYPES = [
    ("readiness probe (openapi.json)", "GET", r"^/api/v1/openapi\.json$"),
    ("login page", "GET", r"^/login/$"),
    ("login", "POST", r"^/login/$"),
    ("home", "GET", r"^/$"),
    ("ticket queue", "GET", r"^/tickets/$"),
    ("ticket page", "GET", r"^/tickets/\d+/$"),
    ("customer search", "GET", r"^/customers/$"),
    ("customer 360", "GET", r"^/customers/\d+/$"),
    ("my tasks", "GET", r"^/tasks/$"),
    ("api customers", "GET", r"^/api/v1/customers$"),
    ("api tickets", "GET", r"^/api/v1/tickets$"),
    ("api ticket", "GET", r"^/api/v1/tickets/\d+$"),
    ("api timeline", "GET", r"^/api/v1/interactions/customers/\d+/timeline$"),
    ("api log interaction", "POST", r"^/api/v1/interactions$"),
]
_COMPILED = [(name, method, re.compile(pattern)) for name, method, pattern in TYPES]


def classify(method: str, path: str) -> str:
    path = path.split("?", 1)[0]
    for name, m, pattern in _COMPILED:
        if m == method and pattern.match(path):
            return name
    return "other"
