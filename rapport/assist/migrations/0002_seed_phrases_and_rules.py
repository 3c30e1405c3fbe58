"""The phrase library and the coach's 13 rules (zh-hans and en).

A fresh database gets the definitions in rapport.assist.rules; a database that already has a
row keeps it (get_or_create), since an administrator may have edited it."""

from django.db import migrations

from rapport.assist.rules import PHRASES as _PHRASES
from rapport.assist.rules import RULES as _RULES

PHRASES = [tuple(p) for p in _PHRASES]
RULES = [dict(r) for r in _RULES]

RULE_FIELDS = (
    "pattern",
    "unless_before",
    "unless_after",
    "unless_anywhere",
    "preferred",
    "replacement",
    "explanation",
    "examples_flagged",
    "examples_clean",
)


def seed(apps, schema_editor):
    Phrase = apps.get_model("assist", "Phrase")
    CoachRule = apps.get_model("assist", "CoachRule")
    for code, situation, zh, en in PHRASES:
        for language, text in (("zh-hans", zh), ("en", en)):
            Phrase.objects.get_or_create(
                code=code, language=language, defaults={"situation": situation, "text": text}
            )
    for rule in RULES:
        CoachRule.objects.get_or_create(
            code=rule["code"],
            language=rule["language"],
            defaults={field: rule.get(field, "") for field in RULE_FIELDS},
        )


def unseed(apps, schema_editor):
    apps.get_model("assist", "Phrase").objects.filter(code__in=[p[0] for p in PHRASES]).delete()
    apps.get_model("assist", "CoachRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("assist", "0001_phrases_rules_records")]
    operations = [migrations.RunPython(seed, unseed)]
