from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CoreConfig(AppConfig):
    name = "rapport.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.apps import apps

        from rapport.core import (
            checks,  # noqa: F401 — registers the checks
            choices,
            html,
            kept_translate,
        )

        _name_what_others_leave_in_english()
        choices.install(apps.get_models(include_auto_created=True))
        html.install()
        kept_translate.install()


def _name_what_others_leave_in_english() -> None:
    """Words Django and the task backend show but no catalogue of theirs translates into Chinese:
    the empty choice of every select (Django 6.1 reads BLANK_CHOICE_LABEL when it draws one, and
    invites apps to set it here), the task backend's admin names, the admin's own title."""
    from django.apps import apps
    from django.contrib import admin
    from django.db.models import fields

    fields.BLANK_CHOICE_LABEL = pgettext_lazy("empty choice", "Choose…")
    if apps.is_installed("django_tasks_db"):
        tasks = apps.get_app_config("django_tasks_database")
        tasks.verbose_name = _("Background tasks")
        result = tasks.get_model("DBTaskResult")._meta
        result.verbose_name = _("task result")
        result.verbose_name_plural = _("task results")
    admin.site.site_header = _("Rapport administration")
    admin.site.site_title = _("Rapport administration")
