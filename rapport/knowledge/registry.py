"""What the processes above hand down to the knowledge base (knowledge never imports them).

- Case sources: the tickets app registers how to read an archived case (案例) — for the index, for
  `rapport knowledge reindex`, and for "draft an article from this case".
- Suggestion contexts: a page that wants suggestions (a ticket, a conversation) registers how to
  read its text for a staff member, access-checked (rapport.core.errors.NotFound if not allowed).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CaseDocument:
    """An archived case as the knowledge base sees it."""

    ticket_id: int
    number: str
    title: str
    problem: str
    cause: str
    remedy: str
    outcome: str
    url: str
    products: str = ""


@dataclass(frozen=True)
class SuggestContext:
    """The text a page wants suggestions for, and where a chosen article goes."""

    text: str
    reply_field: str  # the id of the reply box on that page, e.g. "id_reply-body"
    exclude_ticket_id: int | None = None
    is_open: bool = True


@dataclass(frozen=True)
class CaseSource:
    # Every archived case, for a full reindex (an iterator: there may be hundreds of thousands).
    iter_all: Callable[[], Iterable[CaseDocument]]
    # One case by ticket id (None when the ticket has no archived case).
    get: Callable[[int], CaseDocument | None]
    # One case by ticket id for a staff member, access-checked: NotFound when not allowed.
    get_for_staff: Callable[..., CaseDocument]


_case_source: CaseSource | None = None
_contexts: dict[str, Callable[..., SuggestContext]] = {}


def register_case_source(source: CaseSource) -> None:
    global _case_source
    _case_source = source


def case_source() -> CaseSource | None:
    return _case_source


def register_suggest_context(kind: str, loader: Callable[..., SuggestContext]) -> None:
    """loader(*, staff, pk) -> SuggestContext, raising NotFound when staff may not see it."""
    _contexts[kind] = loader


def suggest_context_loader(kind: str) -> Callable[..., SuggestContext] | None:
    return _contexts.get(kind)
