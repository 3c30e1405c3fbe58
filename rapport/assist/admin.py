from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from rapport.assist.coach import rules_changed
from rapport.assist.models import CoachRecord, CoachRule, Phrase, UpsetAssessment
from rapport.assist.services import coach_rule_try
from rapport.core.bounds import BoundedFormMixin


@admin.register(Phrase)
class PhraseAdmin(admin.ModelAdmin):
    list_display = ["code", "situation", "language", "text", "enabled"]
    list_filter = ["situation", "language", "enabled"]
    search_fields = ["code", "title", "text"]


class CoachRuleForm(BoundedFormMixin, forms.ModelForm):
    """Refuses a pattern that does not compile, matches empty text or is too slow, with the reason."""

    class Meta:
        model = CoachRule
        fields = [
            "code",
            "language",
            "pattern",
            "unless_before",
            "unless_after",
            "unless_anywhere",
            "preferred",
            "replacement",
            "explanation",
            "examples_flagged",
            "examples_clean",
            "enabled",
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        trial_rule = CoachRule(
            **{k: v for k, v in data.items() if k in {f.name for f in CoachRule._meta.fields}}
        )
        try:
            self.trial = coach_rule_try(rule=trial_rule)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data


@admin.register(CoachRule)
class CoachRuleAdmin(admin.ModelAdmin):
    form = CoachRuleForm
    list_display = ["code", "language", "preferred", "enabled", "updated_at"]
    list_filter = ["enabled", "language", "code"]
    search_fields = ["pattern", "preferred", "explanation"]
    actions = ["switch_off", "switch_on", "try_examples"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        transaction.on_commit(rules_changed)
        trial = getattr(form, "trial", None)
        if trial is not None and not trial.passed:
            for line in trial.missed:
                self.message_user(
                    request, _("Not flagged, though it should be: %s") % line, messages.WARNING
                )
            for line in trial.wrongly_flagged:
                self.message_user(
                    request, _("Flagged, though it should not be: %s") % line, messages.WARNING
                )

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(rules_changed)

    @admin.action(description=_("Switch the selected rules off"))
    def switch_off(self, request, queryset) -> None:
        count = queryset.update(enabled=False)
        transaction.on_commit(rules_changed)
        self.message_user(request, _("Rules switched off: %d.") % count)

    @admin.action(description=_("Switch the selected rules on"))
    def switch_on(self, request, queryset) -> None:
        count = queryset.update(enabled=True)
        transaction.on_commit(rules_changed)
        self.message_user(request, _("Rules switched on: %d.") % count)

    @admin.action(description=_("Try the selected rules on their examples"))
    def try_examples(self, request, queryset) -> None:
        for rule in queryset:
            try:
                trial = coach_rule_try(rule=rule)
            except ValidationError as exc:
                self.message_user(
                    request,
                    f"{rule}: {'; '.join(m for ms in exc.message_dict.values() for m in ms)}",
                    messages.ERROR,
                )
                continue
            if trial.passed:
                self.message_user(request, _("%s: all examples pass.") % rule)
            else:
                self.message_user(
                    request,
                    _("%(rule)s: missed %(missed)s; wrongly flagged %(wrong)s")
                    % {
                        "rule": rule,
                        "missed": trial.missed or "-",
                        "wrong": trial.wrongly_flagged or "-",
                    },
                    messages.WARNING,
                )


@admin.register(CoachRecord)
class CoachRecordAdmin(admin.ModelAdmin):
    list_display = ["at", "agent", "rule", "shown", "fixed", "channel"]
    list_filter = ["rule", "fixed", "channel"]
    readonly_fields = [f.name for f in CoachRecord._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(UpsetAssessment)
class UpsetAssessmentAdmin(admin.ModelAdmin):
    list_display = ["assessed_at", "source", "source_id", "ticket_id", "upset", "intensity", "risk"]
    list_filter = ["upset", "intensity", "risk", "source"]
    readonly_fields = [f.name for f in UpsetAssessment._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
