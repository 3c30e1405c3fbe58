import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """The corpus tests assert the English defect texts; zh-hans has its own test."""
    with translation.override("en"):
        yield
