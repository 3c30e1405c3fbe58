"""System checks Django's own `check --deploy` does not make for Rapport."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def development_secret_key(app_configs, **kwargs):
    """The development key is long enough to pass Django's own check, but it is public."""
    if settings.SECRET_KEY.startswith("rapport-insecure-"):
        return [
            Warning(
                "SECRET_KEY is the public development key.",
                hint="Set SECRET_KEY to a long random value (see README, Production settings).",
                id="rapport.W001",
            )
        ]
    return []
