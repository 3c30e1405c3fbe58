import pytest

from rapport.assist.coach import rules_changed


@pytest.fixture(autouse=True)
def _fresh_rules():
    rules_changed()
    yield
    rules_changed()
