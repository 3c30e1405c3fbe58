"""`get_<field>_display()` without translating every label of the field each time.

Django's `Model._get_FIELD_display` builds a dict of the field's choices on every call, and
hashing a lazily translated label translates it: a ticket event's kind has 15 labels, so showing
one kind translated 15 strings. A page of 56 events spent about a quarter of its CPU there.
`install()` (at start-up, from CoreConfig.ready) replaces the method Django generated for each
field with fixed choices by one that reads the labels from a dict made once per field and
language. It returns what Django's returns (the label as a string, or the value itself when it is
not a choice); `rapport/core/tests/test_choices.py` compares the two for every field of every
model. Fields whose choices are computed (a callable) and methods a model defines itself are left
as they are.
"""

from functools import partialmethod

from django.db.models import Model
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

_LABELS: dict[tuple[int, str | None], dict] = {}
_MISSING = object()


def _labels(field) -> dict:
    key = (id(field), get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = {make_hashable(value): force_str(label) for value, label in field.flatchoices}
        _LABELS[key] = labels
    return labels


def display(self, field) -> str:
    value = getattr(self, field.attname)
    try:
        label = _labels(field).get(make_hashable(value), _MISSING)
    except TypeError:  # a value that cannot be a key: as Django, shown as itself
        label = _MISSING
    return force_str(value, strings_only=True) if label is _MISSING else label


def _fixed(field) -> bool:
    choices = field.choices
    return isinstance(choices, (list, tuple)) and bool(choices)


def install(models) -> int:
    """Put `display` behind every generated `get_<field>_display` of `models`; how many."""
    done = 0
    for model in models:
        for field in model._meta.get_fields():
            name = f"get_{getattr(field, 'name', '')}_display"
            method = model.__dict__.get(name)
            if not (
                isinstance(method, partialmethod)
                and method.func is Model._get_FIELD_display
                and getattr(field, "choices", None) is not None
                and _fixed(field)
            ):
                continue
            setattr(model, name, partialmethod(display, field=field))
            done += 1
    return done
