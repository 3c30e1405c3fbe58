"""One word, one translation: Django merges every app's catalogue into one, and where two apps
translate the same text differently, the app listed first in INSTALLED_APPS wins everywhere.
That showed a ticket's state 等待中 as 请客户等待 (a phrase category of the assistance app) and
a sent message as 提交时间. A word that means different things takes a context (pgettext)."""

import gettext
from collections import defaultdict
from pathlib import Path

from django.apps import apps


def _catalogues() -> dict[str, dict]:
    found = {}
    for config in apps.get_app_configs():
        mo = Path(config.path) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
        if config.name.startswith("rapport.") and mo.exists():
            with mo.open("rb") as handle:
                found[config.label] = gettext.GNUTranslations(handle)._catalog
    return found


def test_the_same_text_is_translated_the_same_in_every_app():
    translations: dict = defaultdict(dict)
    for app, catalogue in _catalogues().items():
        for msgid, msgstr in catalogue.items():
            if msgid and msgstr:
                translations[msgid][app] = msgstr
    conflicts = {
        msgid: by_app for msgid, by_app in translations.items() if len(set(by_app.values())) > 1
    }
    assert not conflicts, "\n".join(f"{msgid!r}: {by_app}" for msgid, by_app in conflicts.items())


def test_the_catalogues_are_read():
    catalogues = _catalogues()
    assert {"tickets", "web", "appointments"} <= set(catalogues)
    assert catalogues["tickets"]["Waiting"] == "等待中"
