"""get_<field>_display() reads labels made once per field and language, and says what Django's
own method says, for every field with choices of every model."""

from functools import partialmethod

import pytest
from django.apps import apps
from django.db.models import Model
from django.utils import translation

from rapport.core.choices import display


def _fields_with_choices():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if getattr(field, "choices", None):
                yield model, field


def test_every_fixed_choice_field_uses_the_kept_labels():
    kept, left = 0, []
    for model, field in _fields_with_choices():
        method = model.__dict__.get(f"get_{field.name}_display")
        if isinstance(method, partialmethod) and method.func is display:
            kept += 1
        elif isinstance(method, partialmethod) and isinstance(field.choices, (list, tuple)):
            left.append((model.__name__, field.name))
    assert kept > 50  # the project's status, kind, channel … fields
    assert left == []  # only computed choices keep Django's own method


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_labels_equal_django_s_for_every_choice_and_for_a_value_not_among_them(language):
    checked = 0
    with translation.override(language):
        for model, field in _fields_with_choices():
            if callable(getattr(field, "choices", None)) and not isinstance(
                field.choices, (list, tuple)
            ):
                continue
            values = [value for value, _label in field.flatchoices] + ["no-such-choice", None, 7]
            for value in values:
                obj = model.__new__(model)
                obj.__dict__[field.attname] = value
                expected = Model._get_FIELD_display(obj, field)
                assert getattr(obj, f"get_{field.name}_display")() == expected, (model, field)
                checked += 1
    assert checked > 500
